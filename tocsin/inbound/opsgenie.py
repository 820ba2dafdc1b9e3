"""Opsgenie's Alert API, the wire-compatible subset: create, close, acknowledge, add note.

Tools that talk to Opsgenie move to Tocsin by changing the API URL and the
``Authorization: GenieKey <key>`` value. Opsgenie processes requests
asynchronously and answers 202 ``{"result": "Request will be processed",
"took": ..., "requestId": ...}``; Tocsin commits before answering, and answers
the same way (so closing an alias that is not open is a 202 that changes
nothing, as it is with Opsgenie).

``alias`` is the dedup key; without one every create opens a new alert.
Priorities map to severities: P1 critical, P2 error, P3 warning, P4 and P5
info. Tags become labels (``env:prod`` becomes ``env="prod"``, a plain tag
``t`` becomes ``t="true"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import ErrorDetails

from tocsin.domain.alert_lifecycle import Action, Severity, Signal

ACCEPTED = "Request will be processed"
PRIORITY_SEVERITY = {
    "P1": Severity.CRITICAL,
    "P2": Severity.ERROR,
    "P3": Severity.WARNING,
    "P4": Severity.INFO,
    "P5": Severity.INFO,
}
MESSAGE_LIMIT = 130


class OpsgenieCreate(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "message": "Checkout error rate above 5%",
                    "alias": "checkout-errors",
                    "description": "5xx ratio 7.2% over 5 minutes",
                    "tags": ["env:prod", "checkout"],
                    "details": {"region": "eu-west-1"},
                    "entity": "checkout-api",
                    "source": "cloudwatch",
                    "priority": "P1",
                }
            ]
        },
    )

    message: str = Field(min_length=1)
    alias: str | None = Field(default=None, max_length=512)
    description: str | None = Field(default=None, max_length=15_000)
    responders: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    visibleTo: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    actions: list[str] = Field(default_factory=list, max_length=10)
    tags: list[str] = Field(default_factory=list, max_length=20)
    details: dict[str, str] = Field(default_factory=dict)
    entity: str | None = Field(default=None, max_length=512)
    source: str | None = Field(default=None, max_length=100)
    priority: Literal["P1", "P2", "P3", "P4", "P5"] = "P3"
    user: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=25_000)


class OpsgenieAction(BaseModel):
    """The optional body of close and acknowledge."""

    model_config = ConfigDict(extra="ignore")

    user: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=25_000)


class OpsgenieNote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100)
    note: str = Field(min_length=1, max_length=25_000)


IdentifierType = Literal["id", "alias", "tiny"]


def not_json(errors: Sequence[ErrorDetails]) -> str:
    """The message for a body that does not parse as JSON, with where it stops making sense."""
    for error in errors:
        if error["type"] == "json_invalid":
            reason = (error.get("ctx") or {}).get("error")
            position = error["loc"][-1]
            if reason and isinstance(position, int):
                return f"Request body is not valid JSON: {reason} at character {position}."
    return "Request body is not valid JSON."


def error_fields(errors: list[ErrorDetails]) -> dict[str, str]:
    """Pydantic's errors as Opsgenie's ``errors`` object: field name → message."""
    fields: dict[str, str] = {}
    for error in errors:
        path = ".".join(str(part) for part in error["loc"] if part != "body") or "body"
        if error["type"] in ("missing", "string_too_short"):
            fields[path] = f"{path.capitalize()} can not be empty."
        else:
            fields[path] = error["msg"]
    return fields


def _labels(body: OpsgenieCreate) -> dict[str, str]:
    labels: dict[str, str] = {}
    for tag in body.tags:
        name, separator, value = tag.partition(":")
        labels[name.strip() or tag] = value.strip() if separator else "true"
    if body.entity:
        labels["entity"] = body.entity
    labels["priority"] = body.priority
    return labels


def create_signal(body: OpsgenieCreate) -> Signal:
    annotations = {"description": body.description} if body.description else {}
    return Signal(
        action=Action.TRIGGER,
        dedup_key=body.alias or None,
        summary=body.message[:MESSAGE_LIMIT],
        severity=PRIORITY_SEVERITY[body.priority],
        source=body.source or body.entity or "",
        labels=_labels(body),
        annotations=annotations,
        details={
            "details": body.details,
            "responders": body.responders,
            "actions": body.actions,
            "user": body.user,
            "note": body.note,
        },
        runbook_url=body.details.get("runbook_url") or body.details.get("runbook"),
    )


def action_signal(action: Action, alias: str, body: OpsgenieAction | None) -> Signal:
    return Signal(
        action=action,
        dedup_key=alias,
        actor=body.user if body else None,
        note=body.note if body else None,
    )
