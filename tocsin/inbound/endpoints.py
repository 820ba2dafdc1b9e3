"""What every inbound endpoint shares: the key in the path, the route class, Tocsin's own answers.

Each source's module holds its parser, its endpoint and the error bodies its
wire format defines. The endpoints in Tocsin's own format (Alertmanager,
Grafana, webhooks, heartbeats) answer:

- 202 :class:`IngestOut` once the alerts are committed;
- 413 ``{"detail": "request body exceeds N bytes"}`` for a body over the limit;
- 422 ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`` for a body
  that is malformed or cannot become signals, naming the field;
- 404, 429 and 503 for the receiving refusals (an unknown key, a key over its
  rate limit, a database that keeps refusing), answered by the app's one
  handler of refusals (:mod:`tocsin.domain.refusals`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Annotated, Any, Literal

from fastapi import Path, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from tocsin.alerts.configured import Integration
from tocsin.alerts.receive import InvalidSignal, Received, receive_async
from tocsin.alerts.runtime import AlertsRuntime
from tocsin.domain.alert_lifecycle import Signal
from tocsin.http.bodies import InvalidAnswer, Run, TooLargeAnswer, limited_route

Key = Annotated[
    str,
    Path(description="The integration key", min_length=1, max_length=200, examples=["0" * 32]),
]


def source_route(on_invalid: InvalidAnswer, on_too_large: TooLargeAnswer) -> type[APIRoute]:
    """The route class of a source's endpoints: bad bodies answered in the source's format.

    As :func:`tocsin.http.bodies.limited_route`, and a body that parses but
    cannot become signals (:class:`~tocsin.alerts.receive.InvalidSignal`) is
    answered by ``on_invalid`` too, like any body the source's model refuses.
    """

    class SourceRoute(limited_route(on_invalid, on_too_large)):  # type: ignore[misc]
        async def answer(self, request: Request, run: Run) -> Response | None:
            try:
                response: Response | None = await super().answer(request, run)
            except InvalidSignal as error:
                return on_invalid(
                    [
                        {
                            "type": "value_error",
                            "loc": (error.where, error.field),
                            "msg": error.reason,
                            "input": None,
                        }
                    ]
                )
            return response

    return SourceRoute


# --- Tocsin's own format --------------------------------------------------------


def _invalid(errors: Sequence[ErrorDetails]) -> Response:
    detail = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in errors
    ]
    return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)


def _too_large(limit: int) -> Response:
    return JSONResponse(
        {"detail": f"request body exceeds {limit} bytes"}, status.HTTP_413_CONTENT_TOO_LARGE
    )


#: The route class of the endpoints in Tocsin's own format.
PlainRoute = source_route(_invalid, _too_large)


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


class IngestedAlert(BaseModel):
    dedup_key: str
    #: open (a new alert), repeat, acknowledge, resolve or nothing.
    result: str
    alert_id: int | None
    group_id: int | None


class IngestOut(BaseModel):
    """What an inbound request did; a 2xx means all of it is committed."""

    status: Literal["accepted"] = "accepted"
    integration: str
    alerts: list[IngestedAlert]


def ingested(received: Received) -> IngestOut:
    return IngestOut(
        integration=received.integration.name,
        alerts=[
            IngestedAlert(
                dedup_key=result.dedup_key,
                result=result.change.value,
                alert_id=result.alert_id,
                group_id=result.group_id,
            )
            for result in received.results
        ],
    )


async def receive_plain(
    tocsin: AlertsRuntime,
    key: str,
    types: Collection[str],
    build: Callable[[Integration], Sequence[Signal]],
) -> IngestOut:
    """Receive ``key``'s signals (:func:`~tocsin.alerts.receive.receive_async`), answered in
    Tocsin's own format."""
    return ingested(await receive_async(tocsin, key, types, build))
