"""Opsgenie's Alert API, the wire-compatible subset: create, close, acknowledge, add note.

Tools that talk to Opsgenie move to Tocsin by changing the API URL and the
``Authorization: GenieKey <key>`` value. Opsgenie processes requests
asynchronously and answers 202 ``{"result": "Request will be processed",
"took": ..., "requestId": ...}``; Tocsin commits before answering, and answers
the same way (so closing an alias that is not open is a 202 that changes
nothing, as it is with Opsgenie).

Refusals are Opsgenie's too: ``{"message": ..., "took": ..., "requestId": ...}``
with 400 (not JSON), 401 (a missing, unknown or revoked GenieKey), 413, 415
(not sent as JSON), 422 (``errors`` names the fields), 429 and 503.

``alias`` is the dedup key; without one every create opens a new alert.
Priorities map to severities: P1 critical, P2 error, P3 warning, P4 and P5
info. Tags become labels (``env:prod`` becomes ``env="prod"``, a plain tag
``t`` becomes ``t="true"``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import ErrorDetails

from tocsin.alerts import transitions
from tocsin.alerts.committer import RETRY_AFTER
from tocsin.alerts.ingest import Ingest
from tocsin.alerts.receive import Context, UnknownKey, receive_with_async
from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.domain import untrusted
from tocsin.domain.alert_lifecycle import Action, Severity, Signal
from tocsin.domain.refusals import Throttled, Unavailable
from tocsin.inbound.endpoints import source_route

ACCEPTED = "Request will be processed"
PRIORITY_SEVERITY = {
    "P1": Severity.CRITICAL,
    "P2": Severity.ERROR,
    "P3": Severity.WARNING,
    "P4": Severity.INFO,
    "P5": Severity.INFO,
}
MESSAGE_LIMIT = 130
#: Longest numeric Opsgenie identifier taken as a Tocsin alert id.
MAX_ID_DIGITS = 18


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


# --- the endpoints and their answers ------------------------------------------------


def _answer(status_code: int, message: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"message": message, **extra, "took": 0.0}
    body["requestId"] = str(uuid.uuid4())
    return JSONResponse(body, status_code)


def _invalid(errors: Sequence[ErrorDetails]) -> Response:
    """Opsgenie's answers: 400 for a body that is not JSON, 415 for another media type, else 422."""
    kinds = {error["type"] for error in errors}
    if "json_invalid" in kinds:
        return _answer(status.HTTP_400_BAD_REQUEST, not_json(errors))
    if "content_type" in kinds:
        return _answer(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "Request body format is not supported; send JSON (Content-Type: application/json).",
        )
    return _answer(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "Request body is not processable. Please check the errors.",
        errors=error_fields(list(errors)),
    )


def _too_large(limit: int) -> Response:
    return _answer(status.HTTP_413_CONTENT_TOO_LARGE, f"Request body is larger than {limit} bytes.")


class OpsgenieAccepted(BaseModel):
    result: str = ACCEPTED
    took: float
    requestId: str


class OpsgenieRefused(BaseModel):
    message: str
    took: float
    requestId: str
    errors: dict[str, str] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OpsgenieRefused, "description": "The body is not valid JSON"},
    401: {"model": OpsgenieRefused, "description": "Missing, unknown or revoked GenieKey"},
    413: {"model": OpsgenieRefused, "description": "Body too large"},
    415: {"model": OpsgenieRefused, "description": "The body is not sent as JSON"},
    422: {"model": OpsgenieRefused, "description": "Invalid body; errors name the fields"},
    429: {"model": OpsgenieRefused, "description": "Rate limit reached; see Retry-After"},
    503: {"model": OpsgenieRefused, "description": "Unavailable; retry"},
}

OpsgenieRoute = source_route(_invalid, _too_large)

GenieKey = Annotated[
    str | None,
    Header(alias="Authorization", description="GenieKey <integration key>", max_length=300),
]
Identifier = Annotated[str, Path(min_length=1, max_length=512, description="Alias or alert id")]
IdentifierTypeQuery = Annotated[
    IdentifierType, Query(alias="identifierType", description="alias, id or tiny")
]


def _genie_key(header: str | None) -> str | None:
    scheme, _, credential = (header or "").partition(" ")
    if scheme.lower() != "geniekey" or not credential.strip():
        return None
    return credential.strip()


async def _receive(
    tocsin: AlertsRuntimeDep, header: str | None, work: Callable[[Context], None]
) -> Response:
    """Authenticate the GenieKey, run ``work`` in one transaction, answer as Opsgenie does."""
    started = time.perf_counter()
    key = _genie_key(header)
    try:
        if key is None:
            raise UnknownKey()
        await receive_with_async(tocsin, key, ("opsgenie",), work)
    except UnknownKey:
        return _answer(status.HTTP_401_UNAUTHORIZED, "Could not authenticate")
    except Throttled as error:
        answer = _answer(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "You are making too many requests! To avoid errors, we recommend you limit requests.",
        )
        answer.headers["Retry-After"] = str(error.retry_after)
        return answer
    except Unavailable as error:
        answer = _answer(status.HTTP_503_SERVICE_UNAVAILABLE, "Request could not be stored; retry.")
        answer.headers["Retry-After"] = str(error.retry_after or RETRY_AFTER)
        return answer
    return JSONResponse(
        {
            "result": ACCEPTED,
            "took": round(time.perf_counter() - started, 3),
            "requestId": str(uuid.uuid4()),
        },
        status.HTTP_202_ACCEPTED,
    )


def _dedup_key(context: Context, identifier: str, kind: str) -> str | None:
    """The alert an Opsgenie identifier names: an alias is the dedup key, an id is Tocsin's."""
    if kind == "alias":
        return untrusted.text(identifier)
    if kind == "id" and identifier.isdecimal() and len(identifier) <= MAX_ID_DIGITS:
        return transitions.dedup_key_of(context.session, int(identifier), context.integration.name)
    return None


def _acting(
    action: Action, identifier: str, kind: str, body: OpsgenieAction | None
) -> Callable[[Context], None]:
    def work(context: Context) -> None:
        key = _dedup_key(context, identifier, kind)
        if key is not None:
            signal = action_signal(action, key, body)
            context.ingest([signal])

    return work


async def opsgenie_create(
    body: OpsgenieCreate, tocsin: AlertsRuntimeDep, authorization: GenieKey = None
) -> Response:
    def work(context: Context) -> None:
        signal = create_signal(body)
        context.ingest([signal])

    return await _receive(tocsin, authorization, work)


async def opsgenie_close(
    identifier: Identifier,
    tocsin: AlertsRuntimeDep,
    identifier_type: IdentifierTypeQuery = "id",
    authorization: GenieKey = None,
    body: OpsgenieAction | None = None,
) -> Response:
    return await _receive(
        tocsin, authorization, _acting(Action.RESOLVE, identifier, identifier_type, body)
    )


async def opsgenie_acknowledge(
    identifier: Identifier,
    tocsin: AlertsRuntimeDep,
    identifier_type: IdentifierTypeQuery = "id",
    authorization: GenieKey = None,
    body: OpsgenieAction | None = None,
) -> Response:
    return await _receive(
        tocsin, authorization, _acting(Action.ACKNOWLEDGE, identifier, identifier_type, body)
    )


async def opsgenie_note(
    identifier: Identifier,
    body: OpsgenieNote,
    tocsin: AlertsRuntimeDep,
    identifier_type: IdentifierTypeQuery = "id",
    authorization: GenieKey = None,
) -> Response:
    def work(context: Context) -> None:
        key = _dedup_key(context, identifier, identifier_type)
        if key is not None:
            writer = Ingest(context.session, context.alerting, context.now)
            writer.note(context.origin, key, body.note, body.user)
            writer.flush()

    return await _receive(tocsin, authorization, work)


def add_routes(router: APIRouter) -> None:
    """Add the endpoints to the inbound router (:mod:`tocsin.inbound.routes`)."""
    for path, endpoint, summary in (
        ("/v2/alerts", opsgenie_create, "Opsgenie Alert API: create an alert"),
        ("/v2/alerts/{identifier}/close", opsgenie_close, "Opsgenie Alert API: close an alert"),
        (
            "/v2/alerts/{identifier}/acknowledge",
            opsgenie_acknowledge,
            "Opsgenie Alert API: acknowledge an alert",
        ),
        (
            "/v2/alerts/{identifier}/notes",
            opsgenie_note,
            "Opsgenie Alert API: add a note to an alert",
        ),
    ):
        router.add_api_route(
            path,
            endpoint,
            methods=["POST"],
            route_class_override=OpsgenieRoute,
            tags=["inbound", "opsgenie"],
            status_code=status.HTTP_202_ACCEPTED,
            response_model=OpsgenieAccepted,
            summary=summary,
            responses=ERRORS,
        )
