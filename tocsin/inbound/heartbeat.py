"""Heartbeat pings over HTTP: ``GET`` or ``POST /api/v1/heartbeats/{key}``.

A ping records that the heartbeat is alive (:func:`tocsin.alerts.heartbeats.ping`);
any body is ignored. Refusals are those of every endpoint in Tocsin's own
format (:mod:`tocsin.inbound.endpoints`): 404, 413, 429, 503.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from tocsin.alerts import heartbeats
from tocsin.alerts.receive import Context, receive_with
from tocsin.alerts.runtime import AlertsRuntime, AlertsRuntimeDep
from tocsin.inbound.endpoints import ERRORS, Key, PlainRoute

TYPES = ("heartbeat",)


@dataclass(frozen=True)
class Pinged:
    integration: str
    status: str
    next_check_at: datetime | None


def ping(tocsin: AlertsRuntime, key: str) -> Pinged:
    """Record a ping for the heartbeat integration with ``key``; committed when this returns."""

    def work(context: Context) -> Pinged:
        row = heartbeats.ping(context.session, context.alerting, context.integration, context.now)
        return Pinged(context.integration.name, row.status, row.next_check_at)

    return receive_with(tocsin, key, TYPES, work)


class HeartbeatOut(BaseModel):
    status: Literal["ok"] = "ok"
    integration: str
    #: new, up or down before... now always up after a ping.
    heartbeat: str
    next_check_at: datetime | None


RESPONSES: dict[int | str, dict[str, Any]] = {
    k: v for k, v in ERRORS.items() if k in (404, 413, 429, 503)
}


def _ping(tocsin: AlertsRuntime, key: str) -> HeartbeatOut:
    pinged = ping(tocsin, key)
    return HeartbeatOut(
        integration=pinged.integration, heartbeat=pinged.status, next_check_at=pinged.next_check_at
    )


def ping_heartbeat_get(key: Key, tocsin: AlertsRuntimeDep) -> HeartbeatOut:
    return _ping(tocsin, key)


def ping_heartbeat_post(key: Key, tocsin: AlertsRuntimeDep) -> HeartbeatOut:
    return _ping(tocsin, key)


def add_routes(router: APIRouter) -> None:
    """Add the endpoints to the inbound router (:mod:`tocsin.inbound.routes`)."""
    for method, endpoint, summary in (
        ("GET", ping_heartbeat_get, "Ping a heartbeat (dead man's switch) with GET"),
        (
            "POST",
            ping_heartbeat_post,
            "Ping a heartbeat (dead man's switch) with POST; any body is ignored",
        ),
    ):
        router.add_api_route(
            "/api/v1/heartbeats/{key}",
            endpoint,
            methods=[method],
            route_class_override=PlainRoute,
            tags=["inbound"],
            response_model=HeartbeatOut,
            summary=summary,
            responses=RESPONSES,
        )
