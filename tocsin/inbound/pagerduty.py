"""PagerDuty Events API v2, wire-compatible: ``POST /v2/enqueue``.

Any PagerDuty client or monitoring tool works by pointing its events URL at
Tocsin and using a Tocsin integration key as ``routing_key``. Answers follow
PagerDuty's:

- 202 ``{"status": "success", "message": "Event processed", "dedup_key": ...}``;
- 400 ``{"status": "invalid event", "message": "Event object is invalid",
  "errors": [...]}`` for a malformed event or an unknown routing key;
- 413 in the same shape for a body over the limit;
- 429 ``{"status": "throttle event", ...}`` when the key sends faster than
  its rate limit, and 503 ``{"status": "unavailable", ...}`` when the
  database keeps refusing, each with ``Retry-After``.

``trigger`` without ``dedup_key`` opens a new alert and answers with the key
Tocsin generated (32 hex digits, as PagerDuty does); ``acknowledge`` and
``resolve`` need the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import ErrorDetails

from tocsin.alerts.committer import RETRY_AFTER
from tocsin.alerts.receive import UnknownKey, receive_async
from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.domain.alert_lifecycle import Action, Severity, Signal, label_values
from tocsin.domain.refusals import Throttled, Unavailable
from tocsin.inbound.endpoints import source_route

SUCCESS = {"status": "success", "message": "Event processed"}
INVALID = {"status": "invalid event", "message": "Event object is invalid"}
THROTTLED = {
    "status": "throttle event",
    "message": "Requests for this service are arriving too quickly.  Please retry later.",
}
UNAVAILABLE = {"status": "unavailable", "message": "Event could not be stored; retry"}
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


# --- the endpoint and its answers ------------------------------------------------


def _invalid(errors: Sequence[ErrorDetails]) -> Response:
    return JSONResponse({**INVALID, "errors": error_messages(errors)}, status.HTTP_400_BAD_REQUEST)


def _too_large(limit: int) -> Response:
    return JSONResponse(
        {**INVALID, "errors": [f"Event object is larger than {limit} bytes"]},
        status.HTTP_413_CONTENT_TOO_LARGE,
    )


class PagerDutyAccepted(BaseModel):
    status: str = "success"
    message: str = "Event processed"
    dedup_key: str


class PagerDutyRefused(BaseModel):
    status: str
    message: str
    errors: list[str] = []


PagerDutyRoute = source_route(_invalid, _too_large)


async def pagerduty_enqueue(event: PagerDutyEvent, tocsin: AlertsRuntimeDep) -> Response:
    try:
        received = await receive_async(
            tocsin, event.routing_key, ("pagerduty",), lambda _: [signal(event)]
        )
    except UnknownKey:
        return JSONResponse(
            {**INVALID, "errors": [INVALID_ROUTING_KEY]}, status.HTTP_400_BAD_REQUEST
        )
    except Throttled as error:
        return JSONResponse(
            THROTTLED,
            status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(error.retry_after)},
        )
    except Unavailable as error:
        return JSONResponse(
            {**UNAVAILABLE, "errors": []},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(error.retry_after or RETRY_AFTER)},
        )
    return JSONResponse(
        {**SUCCESS, "dedup_key": received.results[0].dedup_key}, status.HTTP_202_ACCEPTED
    )


def add_routes(router: APIRouter) -> None:
    """Add the endpoint to the inbound router (:mod:`tocsin.inbound.routes`)."""
    router.add_api_route(
        "/v2/enqueue",
        pagerduty_enqueue,
        methods=["POST"],
        route_class_override=PagerDutyRoute,
        tags=["inbound", "pagerduty"],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=PagerDutyAccepted,
        summary="PagerDuty Events API v2: trigger, acknowledge or resolve",
        responses={
            400: {"model": PagerDutyRefused, "description": "Invalid event or routing key"},
            413: {"model": PagerDutyRefused, "description": "Event too large"},
            429: {"model": PagerDutyRefused, "description": "Throttled; see Retry-After"},
            503: {"model": PagerDutyRefused, "description": "Unavailable; retry"},
        },
    )
