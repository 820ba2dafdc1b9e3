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

router = APIRouter(route_class=PlainRoute, tags=["inbound"])


def _ping(tocsin: AlertsRuntime, key: str) -> HeartbeatOut:
    pinged = ping(tocsin, key)
    return HeartbeatOut(
        integration=pinged.integration, heartbeat=pinged.status, next_check_at=pinged.next_check_at
    )


@router.get(
    "/api/v1/heartbeats/{key}",
    response_model=HeartbeatOut,
    summary="Ping a heartbeat (dead man's switch) with GET",
    responses=RESPONSES,
)
def ping_heartbeat_get(key: Key, tocsin: AlertsRuntimeDep) -> HeartbeatOut:
    return _ping(tocsin, key)


@router.post(
    "/api/v1/heartbeats/{key}",
    response_model=HeartbeatOut,
    summary="Ping a heartbeat (dead man's switch) with POST; any body is ignored",
    responses=RESPONSES,
)
def ping_heartbeat_post(key: Key, tocsin: AlertsRuntimeDep) -> HeartbeatOut:
    return _ping(tocsin, key)
