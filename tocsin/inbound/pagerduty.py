"""PagerDuty Events API v2, wire-compatible: ``POST /v2/enqueue``.

Any PagerDuty client or monitoring tool works by pointing its events URL at
Tocsin and using a Tocsin integration key as ``routing_key``. Answers follow
PagerDuty's:

- 202 ``{"status": "success", "message": "Event processed", "dedup_key": ...}``;
- 400 ``{"status": "invalid event", "message": "Event object is invalid",
  "errors": [...]}`` for a malformed event or an unknown routing key;
- 429 when the key sends faster than its rate limit.

``trigger`` without ``dedup_key`` opens a new alert and answers with the key
Tocsin generated (32 hex digits, as PagerDuty does); ``acknowledge`` and
``resolve`` need the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import ErrorDetails

from tocsin.domain.alert_lifecycle import Action, Severity, Signal, label_values

SUCCESS = {"status": "success", "message": "Event processed"}
INVALID = {"status": "invalid event", "message": "Event object is invalid"}
THROTTLED = {
    "status": "throttle event",
    "message": "Requests for this service are arriving too quickly.  Please retry later.",
}
INVALID_ROUTING_KEY = "Invalid routing key"


class PagerDutyPayload(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    summary: str = Field(min_length=1)
    source: str = Field(min_length=1, max_length=10_000)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: Any = None


class PagerDutyLink(BaseModel):
    href: str
    text: str | None = None


class PagerDutyImage(BaseModel):
    src: str
    href: str | None = None
    alt: str | None = None


class PagerDutyEvent(BaseModel):
    """An Events API v2 event."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "routing_key": "0123456789abcdef0123456789abcdef",
                    "event_action": "trigger",
                    "dedup_key": "checkout-latency",
                    "payload": {
                        "summary": "Checkout p99 latency above 2s",
                        "source": "checkout-api-1",
                        "severity": "critical",
                        "component": "checkout",
                        "custom_details": {"p99_ms": 2300},
                    },
                }
            ]
        }
    )

    routing_key: str = Field(min_length=1, max_length=200)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, max_length=255)
    payload: PagerDutyPayload | None = None
    client: str | None = None
    client_url: str | None = None
    links: list[PagerDutyLink] = Field(default_factory=list, max_length=100)
    images: list[PagerDutyImage] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _needs(self) -> PagerDutyEvent:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("'payload' is missing or blank")
        if self.event_action != "trigger" and not (self.dedup_key or "").strip():
            raise ValueError("'dedup_key' is missing or blank")
        return self


def error_messages(errors: Sequence[ErrorDetails]) -> list[str]:
    """Pydantic's errors in PagerDuty's words: ``'payload.summary' is missing or blank``."""
    messages = []
    for error in errors:
        path = ".".join(str(part) for part in error["loc"] if part != "body")
        path = path.replace("class_", "class")
        kind = error["type"]
        ctx = error.get("ctx") or {}
        if kind == "value_error" and "error" in ctx:
            messages.append(str(ctx["error"]))
        elif kind in ("missing", "string_too_short"):
            messages.append(f"'{path}' is missing or blank" if path else "Event object is missing")
        elif kind == "literal_error":
            messages.append(f"'{path}' is invalid (must be one of {ctx.get('expected', '')})")
        elif kind == "json_invalid":
            reason = ctx.get("error")
            position = error["loc"][-1]
            where = f": {reason} at character {position}" if reason else ""
            messages.append(f"Event object is not valid JSON{where}")
        elif kind == "content_type":
            messages.append("Event object must be sent as JSON (Content-Type: application/json)")
        elif kind == "too_deep":
            messages.append(f"'{path or 'event'}' is {error['msg']}")
        elif path:
            messages.append(f"'{path}' is invalid: {error['msg']}")
        else:
            messages.append(f"Event object is invalid: {error['msg']}")
    return messages


def signal(event: PagerDutyEvent) -> Signal:
    action = Action(event.event_action)
    payload = event.payload
    if action is not Action.TRIGGER or payload is None:
        return Signal(action, event.dedup_key)
    details = payload.custom_details
    labels = label_values(
        {
            "component": payload.component,
            "group": payload.group,
            "class": payload.class_,
            "source": payload.source,
        }
    )
    links = [{"href": link.href, "text": link.text or link.href} for link in event.links]
    if event.client_url:
        links.append({"href": event.client_url, "text": event.client or "Client"})
    runbook = details.get("runbook_url") if isinstance(details, dict) else None
    return Signal(
        action=action,
        dedup_key=event.dedup_key or None,
        summary=payload.summary,
        severity=Severity(payload.severity),
        source=payload.source,
        labels=labels,
        details={
            "custom_details": details,
            "client": event.client,
            "images": [image.model_dump(exclude_none=True) for image in event.images],
        },
        links=tuple(links),
        started_at=payload.timestamp,
        runbook_url=runbook if isinstance(runbook, str) else None,
    )
