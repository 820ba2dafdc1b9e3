"""Prometheus Alertmanager's webhook (payload version 4) as signals, and its endpoint.

Alertmanager posts one notification per alert group with every alert of the
group in ``alerts``; each alert becomes one signal deduplicated by its
``fingerprint`` (computed from its labels when an older sender omits it), so
the repeated notifications Alertmanager sends while alerts fire append to the
same Tocsin alerts, and an alert with ``status: resolved`` resolves its own.

The summary is the ``summary`` annotation (then ``message``, ``description``,
then the ``alertname`` label); ``severity`` comes from the ``severity`` label;
a ``runbook_url`` (or ``runbook``) annotation is kept as the runbook.
Unknown fields (``truncatedAlerts``, ``notification_reason``, ``routeLabels``
and whatever future versions add) are accepted and ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.domain.alert_lifecycle import Action, Signal, parse_severity
from tocsin.inbound.endpoints import ERRORS, IngestOut, Key, PlainRoute, receive_plain

#: Alertmanager's "no end time" (Go's zero time) in ``endsAt``.
_ZERO_TIME_YEAR = 1


class AlertmanagerAlert(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(max_length=200)
    annotations: dict[str, str] = Field(default_factory=dict, max_length=200)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str | None = Field(default=None, max_length=255)


class AlertmanagerPayload(BaseModel):
    """Alertmanager's webhook body (``version: "4"``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "version": "4",
                    "groupKey": '{}:{alertname="HighLatency"}',
                    "truncatedAlerts": 0,
                    "status": "firing",
                    "receiver": "tocsin",
                    "groupLabels": {"alertname": "HighLatency"},
                    "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
                    "commonAnnotations": {},
                    "externalURL": "http://alertmanager.example.com:9093",
                    "alerts": [
                        {
                            "status": "firing",
                            "labels": {"alertname": "HighLatency", "severity": "critical"},
                            "annotations": {"summary": "p99 latency above 2s"},
                            "startsAt": "2026-01-05T09:00:00Z",
                            "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "http://prometheus.example.com:9090/graph",
                            "fingerprint": "b2f3c4d5e6f70819",
                        }
                    ],
                }
            ]
        },
    )

    version: str = "4"
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[AlertmanagerAlert] = Field(max_length=10_000)


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable 16-hex-digit key from the label set, for senders that send no fingerprint."""
    text = "\xff".join(f"{name}\xff{labels[name]}" for name in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def summary_of(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    for name in ("summary", "message", "description"):
        if annotations.get(name, "").strip():
            return annotations[name]
    return labels.get("alertname") or "Alert"


def runbook_of(annotations: Mapping[str, str]) -> str | None:
    return annotations.get("runbook_url") or annotations.get("runbook") or None


def real_time(value: datetime | None) -> datetime | None:
    """``None`` for Go's zero time, which Alertmanager sends for "not ended"."""
    if value is None or value.year <= _ZERO_TIME_YEAR:
        return None
    return value


def alert_signal(
    alert: AlertmanagerAlert,
    *,
    links: list[dict[str, str]],
    details: dict[str, Any],
) -> Signal:
    labels = dict(alert.labels)
    annotations = dict(alert.annotations)
    firing = alert.status == "firing"
    started = real_time(alert.startsAt)
    ended = real_time(alert.endsAt)
    return Signal(
        action=Action.TRIGGER if firing else Action.RESOLVE,
        dedup_key=alert.fingerprint or fingerprint(labels),
        summary=summary_of(labels, annotations),
        severity=parse_severity(labels.get("severity")),
        source=labels.get("instance") or labels.get("job") or "",
        labels=labels,
        annotations=annotations,
        details={
            **details,
            "startsAt": started.isoformat() if started else None,
            "endsAt": ended.isoformat() if ended else None,
        },
        links=tuple(links),
        started_at=started,
        runbook_url=runbook_of(annotations),
        note=None if firing else "Resolved by the sender",
        ended_at=None if firing else ended,
    )


def signals(payload: AlertmanagerPayload) -> list[Signal]:
    found = []
    for alert in payload.alerts:
        links = [{"href": alert.generatorURL, "text": "Source"}] if alert.generatorURL else []
        details = {
            "receiver": payload.receiver,
            "groupKey": payload.groupKey,
            "externalURL": payload.externalURL,
        }
        found.append(alert_signal(alert, links=links, details=details))
    return found


async def receive_alertmanager(
    key: Key, payload: AlertmanagerPayload, tocsin: AlertsRuntimeDep
) -> IngestOut:
    return await receive_plain(tocsin, key, ("alertmanager",), lambda _: signals(payload))


def add_routes(router: APIRouter) -> None:
    """Add the endpoint to the inbound router (:mod:`tocsin.inbound.routes`)."""
    router.add_api_route(
        "/api/v1/integrations/{key}/alertmanager",
        receive_alertmanager,
        methods=["POST"],
        route_class_override=PlainRoute,
        tags=["inbound"],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=IngestOut,
        summary="Receive a Prometheus Alertmanager webhook (payload version 4)",
        responses=ERRORS,
    )
