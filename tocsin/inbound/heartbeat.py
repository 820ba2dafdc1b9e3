"""Heartbeat pings over HTTP: ``GET`` or ``POST /api/v1/heartbeats/{key}``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tocsin.alerts import heartbeats
from tocsin.alerts.receive import Context, receive_with
from tocsin.alerts.runtime import AlertsRuntime

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
