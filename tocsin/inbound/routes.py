"""Inbound endpoints: alerts from monitoring tools, authenticated by an integration key.

- ``POST /api/v1/integrations/{key}/alertmanager``, ``.../grafana``, ``.../webhook``
- ``GET|POST /api/v1/heartbeats/{key}``
- ``POST /v2/enqueue`` (PagerDuty Events API v2)
- ``POST /v2/alerts``, ``POST /v2/alerts/{identifier}/close|acknowledge|notes``
  (Opsgenie Alert API)

A 2xx answer means the alerts are committed. Bodies over
``TOCSIN_MAX_ALERT_BODY_BYTES`` (1 MiB unless set) get 413 before they are
parsed; malformed bodies (not JSON, another Content-Type, nested more than
32 levels) 400 or 422 naming the field, while NUL and lone surrogates become
U+FFFD (:mod:`tocsin.domain.untrusted`); an unknown or revoked
key 404 (401 for Opsgenie's header, PagerDuty's 400 "Invalid routing key"),
the same answer whether or not the key ever existed; a key over its rate
limit 429 with ``Retry-After``; a database that keeps refusing the
transaction 503 with ``Retry-After``, so senders retry instead of losing the
alert. The PagerDuty and Opsgenie endpoints answer in those services' own
formats.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Path, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import ErrorDetails
from sqlalchemy import select

from tocsin.alerts.configured import Integration
from tocsin.alerts.ingest import Ingest, Result, ingest
from tocsin.alerts.receive import (
    Context,
    InvalidSignal,
    Received,
    Throttled,
    Unavailable,
    UnknownKey,
    receive_async,
    receive_with_async,
)
from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.alerts.schemas import HeartbeatOut, IngestedAlert, IngestOut
from tocsin.alerts.tables import Alert
from tocsin.domain import untrusted
from tocsin.domain.alert_lifecycle import Action, Signal
from tocsin.http.bodies import limited_route
from tocsin.inbound import alertmanager, grafana, heartbeat, opsgenie, pagerduty, webhook

#: Seconds a sender is asked to wait when the database is unavailable.
RETRY_UNAVAILABLE = 1
UNKNOWN_KEY = "unknown or revoked integration key"
#: Longest numeric Opsgenie identifier taken as a Tocsin alert id.
MAX_ID_DIGITS = 18


# --- Tocsin's own format ------------------------------------------------------


def _plain_invalid(errors: Sequence[ErrorDetails]) -> Response:
    detail = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in errors
    ]
    return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)


def _plain_too_large(limit: int) -> Response:
    return JSONResponse(
        {"detail": f"request body exceeds {limit} bytes"}, status.HTTP_413_CONTENT_TOO_LARGE
    )


class ErrorOut(BaseModel):
    detail: Any


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    404: _error("Unknown or revoked key (or a key of another integration type)"),
    413: _error("The body is larger than the configured limit"),
    422: _error("The body is malformed; each error names its field"),
    429: _error("Rate limit reached; retry after the Retry-After header's seconds"),
    503: _error("The database is unavailable; nothing was stored, retry"),
}

router = APIRouter(tags=["inbound"])
plain = APIRouter(route_class=limited_route(_plain_invalid, _plain_too_large), tags=["inbound"])

Key = Annotated[
    str,
    Path(description="The integration key", min_length=1, max_length=200, examples=["0" * 32]),
]


def _ingested(received: Received) -> IngestOut:
    return IngestOut(
        integration=received.integration.name,
        alerts=[_alert(result) for result in received.results],
    )


def _alert(result: Result) -> IngestedAlert:
    return IngestedAlert(
        dedup_key=result.dedup_key,
        result=result.change.value,
        alert_id=result.alert_id,
        group_id=result.group_id,
    )


async def _plain_receive(
    tocsin: AlertsRuntimeDep,
    key: str,
    types: Collection[str],
    build: Callable[[Integration], Sequence[Signal]],
) -> IngestOut:
    try:
        return _ingested(await receive_async(tocsin, key, types, build))
    except UnknownKey as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=UNKNOWN_KEY) from error
    except Throttled as error:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="rate limit reached for this integration key",
            headers={"Retry-After": str(error.retry_after)},
        ) from error
    except InvalidSignal as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}],
        ) from error
    except Unavailable as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="alerts could not be stored right now; nothing was stored, retry",
            headers={"Retry-After": str(RETRY_UNAVAILABLE)},
        ) from error


@plain.post(
    "/api/v1/integrations/{key}/alertmanager",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestOut,
    summary="Receive a Prometheus Alertmanager webhook (payload version 4)",
    responses=ERRORS,
)
async def receive_alertmanager(
    key: Key, payload: alertmanager.AlertmanagerPayload, tocsin: AlertsRuntimeDep
) -> IngestOut:
    return await _plain_receive(
        tocsin, key, ("alertmanager",), lambda _: alertmanager.signals(payload)
    )


@plain.post(
    "/api/v1/integrations/{key}/grafana",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestOut,
    summary="Receive a Grafana unified alerting webhook",
    responses=ERRORS,
)
async def receive_grafana(
    key: Key, payload: grafana.GrafanaPayload, tocsin: AlertsRuntimeDep
) -> IngestOut:
    return await _plain_receive(tocsin, key, ("grafana",), lambda _: grafana.signals(payload))


def _mapped(body: Any) -> Callable[[Integration], Sequence[Signal]]:
    def build(integration: Integration) -> Sequence[Signal]:
        mapping = integration.config.mapping
        assert mapping is not None, "webhook integrations always have a mapping"
        return webhook.signals(mapping, body)

    return build


@plain.post(
    "/api/v1/integrations/{key}/webhook",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestOut,
    summary="Receive any JSON, mapped to alerts by the integration's JMESPath mapping",
    responses=ERRORS,
)
async def receive_webhook(
    key: Key, body: Annotated[Any, Body()], tocsin: AlertsRuntimeDep
) -> IngestOut:
    return await _plain_receive(tocsin, key, ("webhook",), _mapped(body))


HEARTBEAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    k: v for k, v in ERRORS.items() if k in (404, 413, 429, 503)
}


def _ping(tocsin: AlertsRuntimeDep, key: str) -> HeartbeatOut:
    try:
        pinged = heartbeat.ping(tocsin, key)
    except UnknownKey as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=UNKNOWN_KEY) from error
    except Throttled as error:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="rate limit reached for this heartbeat",
            headers={"Retry-After": str(error.retry_after)},
        ) from error
    except Unavailable as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="the ping could not be stored right now; retry",
            headers={"Retry-After": str(RETRY_UNAVAILABLE)},
        ) from error
    return HeartbeatOut(
        integration=pinged.integration, heartbeat=pinged.status, next_check_at=pinged.next_check_at
    )


@plain.get(
    "/api/v1/heartbeats/{key}",
    response_model=HeartbeatOut,
    summary="Ping a heartbeat (dead man's switch) with GET",
    responses=HEARTBEAT_RESPONSES,
)
def ping_heartbeat_get(key: Key, tocsin: AlertsRuntimeDep) -> HeartbeatOut:
    return _ping(tocsin, key)


@plain.post(
    "/api/v1/heartbeats/{key}",
    response_model=HeartbeatOut,
    summary="Ping a heartbeat (dead man's switch) with POST; any body is ignored",
    responses=HEARTBEAT_RESPONSES,
)
def ping_heartbeat_post(key: Key, tocsin: AlertsRuntimeDep) -> HeartbeatOut:
    return _ping(tocsin, key)


# --- PagerDuty Events API v2 ------------------------------------------------------


def _pagerduty_invalid(errors: Sequence[ErrorDetails]) -> Response:
    return JSONResponse(
        {**pagerduty.INVALID, "errors": pagerduty.error_messages(errors)},
        status.HTTP_400_BAD_REQUEST,
    )


def _pagerduty_too_large(limit: int) -> Response:
    return JSONResponse(
        {**pagerduty.INVALID, "errors": [f"Event object is larger than {limit} bytes"]},
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


pagerduty_router = APIRouter(
    route_class=limited_route(_pagerduty_invalid, _pagerduty_too_large), tags=["pagerduty"]
)


@pagerduty_router.post(
    "/v2/enqueue",
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
async def pagerduty_enqueue(event: pagerduty.PagerDutyEvent, tocsin: AlertsRuntimeDep) -> Response:
    try:
        received = await receive_async(
            tocsin, event.routing_key, ("pagerduty",), lambda _: [pagerduty.signal(event)]
        )
    except UnknownKey:
        return JSONResponse(
            {**pagerduty.INVALID, "errors": [pagerduty.INVALID_ROUTING_KEY]},
            status.HTTP_400_BAD_REQUEST,
        )
    except Throttled as error:
        return JSONResponse(
            pagerduty.THROTTLED,
            status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(error.retry_after)},
        )
    except Unavailable:
        return JSONResponse(
            {"status": "unavailable", "message": "Event could not be stored; retry", "errors": []},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_UNAVAILABLE)},
        )
    return JSONResponse(
        {**pagerduty.SUCCESS, "dedup_key": received.results[0].dedup_key},
        status.HTTP_202_ACCEPTED,
    )


# --- Opsgenie Alert API -------------------------------------------------------------


def _opsgenie_answer(status_code: int, message: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"message": message, **extra, "took": 0.0}
    body["requestId"] = str(uuid.uuid4())
    return JSONResponse(body, status_code)


def _opsgenie_invalid(errors: Sequence[ErrorDetails]) -> Response:
    """Opsgenie's answers: 400 for a body that is not JSON, 415 for another media type, else 422."""
    kinds = {error["type"] for error in errors}
    if "json_invalid" in kinds:
        return _opsgenie_answer(status.HTTP_400_BAD_REQUEST, opsgenie.not_json(errors))
    if "content_type" in kinds:
        return _opsgenie_answer(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "Request body format is not supported; send JSON (Content-Type: application/json).",
        )
    return _opsgenie_answer(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "Request body is not processable. Please check the errors.",
        errors=opsgenie.error_fields(list(errors)),
    )


def _opsgenie_too_large(limit: int) -> Response:
    return _opsgenie_answer(
        status.HTTP_413_CONTENT_TOO_LARGE, f"Request body is larger than {limit} bytes."
    )


class OpsgenieAccepted(BaseModel):
    result: str = opsgenie.ACCEPTED
    took: float
    requestId: str


class OpsgenieRefused(BaseModel):
    message: str
    took: float
    requestId: str
    errors: dict[str, str] | None = None


OPSGENIE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OpsgenieRefused, "description": "The body is not valid JSON"},
    401: {"model": OpsgenieRefused, "description": "Missing, unknown or revoked GenieKey"},
    413: {"model": OpsgenieRefused, "description": "Body too large"},
    415: {"model": OpsgenieRefused, "description": "The body is not sent as JSON"},
    422: {"model": OpsgenieRefused, "description": "Invalid body; errors name the fields"},
    429: {"model": OpsgenieRefused, "description": "Rate limit reached; see Retry-After"},
    503: {"model": OpsgenieRefused, "description": "Unavailable; retry"},
}

opsgenie_router = APIRouter(
    route_class=limited_route(_opsgenie_invalid, _opsgenie_too_large), tags=["opsgenie"]
)

GenieKey = Annotated[
    str | None,
    Header(alias="Authorization", description="GenieKey <integration key>", max_length=300),
]
Identifier = Annotated[str, Path(min_length=1, max_length=512, description="Alias or alert id")]
IdentifierTypeQuery = Annotated[
    opsgenie.IdentifierType, Query(alias="identifierType", description="alias, id or tiny")
]


def _genie_key(header: str | None) -> str | None:
    scheme, _, credential = (header or "").partition(" ")
    if scheme.lower() != "geniekey" or not credential.strip():
        return None
    return credential.strip()


async def _opsgenie(
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
        return _opsgenie_answer(status.HTTP_401_UNAUTHORIZED, "Could not authenticate")
    except Throttled as error:
        answer = _opsgenie_answer(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "You are making too many requests! To avoid errors, we recommend you limit requests.",
        )
        answer.headers["Retry-After"] = str(error.retry_after)
        return answer
    except Unavailable:
        answer = _opsgenie_answer(
            status.HTTP_503_SERVICE_UNAVAILABLE, "Request could not be stored; retry."
        )
        answer.headers["Retry-After"] = str(RETRY_UNAVAILABLE)
        return answer
    return JSONResponse(
        {
            "result": opsgenie.ACCEPTED,
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
        found: str | None = context.session.scalar(
            select(Alert.dedup_key).where(
                Alert.id == int(identifier), Alert.integration == context.integration.name
            )
        )
        return found
    return None


def _acting(
    action: Action, identifier: str, kind: str, body: opsgenie.OpsgenieAction | None
) -> Callable[[Context], None]:
    def work(context: Context) -> None:
        key = _dedup_key(context, identifier, kind)
        if key is not None:
            signal = opsgenie.action_signal(action, key, body)
            ingest(context.session, context.alerting, context.origin, [signal], context.now)

    return work


@opsgenie_router.post(
    "/v2/alerts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OpsgenieAccepted,
    summary="Opsgenie Alert API: create an alert",
    responses=OPSGENIE_ERRORS,
)
async def opsgenie_create(
    body: opsgenie.OpsgenieCreate, tocsin: AlertsRuntimeDep, authorization: GenieKey = None
) -> Response:
    def work(context: Context) -> None:
        signal = opsgenie.create_signal(body)
        ingest(context.session, context.alerting, context.origin, [signal], context.now)

    return await _opsgenie(tocsin, authorization, work)


@opsgenie_router.post(
    "/v2/alerts/{identifier}/close",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OpsgenieAccepted,
    summary="Opsgenie Alert API: close an alert",
    responses=OPSGENIE_ERRORS,
)
async def opsgenie_close(
    identifier: Identifier,
    tocsin: AlertsRuntimeDep,
    identifier_type: IdentifierTypeQuery = "id",
    authorization: GenieKey = None,
    body: opsgenie.OpsgenieAction | None = None,
) -> Response:
    return await _opsgenie(
        tocsin, authorization, _acting(Action.RESOLVE, identifier, identifier_type, body)
    )


@opsgenie_router.post(
    "/v2/alerts/{identifier}/acknowledge",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OpsgenieAccepted,
    summary="Opsgenie Alert API: acknowledge an alert",
    responses=OPSGENIE_ERRORS,
)
async def opsgenie_acknowledge(
    identifier: Identifier,
    tocsin: AlertsRuntimeDep,
    identifier_type: IdentifierTypeQuery = "id",
    authorization: GenieKey = None,
    body: opsgenie.OpsgenieAction | None = None,
) -> Response:
    return await _opsgenie(
        tocsin, authorization, _acting(Action.ACKNOWLEDGE, identifier, identifier_type, body)
    )


@opsgenie_router.post(
    "/v2/alerts/{identifier}/notes",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OpsgenieAccepted,
    summary="Opsgenie Alert API: add a note to an alert",
    responses=OPSGENIE_ERRORS,
)
async def opsgenie_note(
    identifier: Identifier,
    body: opsgenie.OpsgenieNote,
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

    return await _opsgenie(tocsin, authorization, work)


router.include_router(plain)
router.include_router(pagerduty_router)
router.include_router(opsgenie_router)
