"""Grafana unified alerting's webhook contact point as signals, and its endpoint.

Grafana's body extends Alertmanager's (``version: "1"``, ``orgId``, ``state``,
``title``, ``message``) and each alert carries its query ``values``, a
``valueString`` and links to its dashboard, panel and silence page. Alerts are
deduplicated by ``fingerprint``; the links are kept on the alert and the
values in its details.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import ConfigDict, Field

from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.domain.alert_lifecycle import Signal
from tocsin.inbound.alertmanager import AlertmanagerAlert, AlertmanagerPayload, alert_signal
from tocsin.inbound.endpoints import ERRORS, IngestOut, Key, PlainRoute, receive_plain


class GrafanaAlert(AlertmanagerAlert):
    values: dict[str, float | None] | None = None
    valueString: str = ""
    silenceURL: str = ""
    dashboardURL: str = ""
    panelURL: str = ""
    imageURL: str = ""


class GrafanaPayload(AlertmanagerPayload):
    """Grafana's webhook body (``version: "1"``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "receiver": "tocsin",
                    "status": "firing",
                    "orgId": 1,
                    "alerts": [
                        {
                            "status": "firing",
                            "labels": {"alertname": "DiskFull", "instance": "db-01"},
                            "annotations": {"summary": "Disk 95% full"},
                            "startsAt": "2026-01-05T09:00:00Z",
                            "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "https://grafana.example.com/alerting/grafana/abc/view",
                            "fingerprint": "57c6d9296de2ad39",
                            "values": {"B": 95.2, "C": 1},
                            "valueString": "[ var='B' labels={} value=95.2 ]",
                        }
                    ],
                    "groupLabels": {"alertname": "DiskFull"},
                    "commonLabels": {"alertname": "DiskFull"},
                    "commonAnnotations": {},
                    "externalURL": "https://grafana.example.com/",
                    "version": "1",
                    "groupKey": '{}:{alertname="DiskFull"}',
                    "truncatedAlerts": 0,
                    "title": "[FIRING:1] DiskFull",
                    "state": "alerting",
                    "message": "**Firing**",
                }
            ]
        },
    )

    version: str = "1"
    orgId: int | None = None
    state: str = ""
    title: str = ""
    message: str = ""
    alerts: list[GrafanaAlert] = Field(max_length=10_000)  # type: ignore[assignment]


def signals(payload: GrafanaPayload) -> list[Signal]:
    found = []
    for alert in payload.alerts:
        links = [
            {"href": url, "text": text}
            for url, text in (
                (alert.generatorURL, "Alert rule"),
                (alert.dashboardURL, "Dashboard"),
                (alert.panelURL, "Panel"),
                (alert.silenceURL, "Silence in Grafana"),
            )
            if url
        ]
        details: dict[str, Any] = {
            "receiver": payload.receiver,
            "orgId": payload.orgId,
            "groupKey": payload.groupKey,
            "values": alert.values,
            "valueString": alert.valueString,
        }
        if alert.imageURL:
            details["imageURL"] = alert.imageURL
        found.append(alert_signal(alert, links=links, details=details))
    return found


async def receive_grafana(key: Key, payload: GrafanaPayload, tocsin: AlertsRuntimeDep) -> IngestOut:
    return await receive_plain(tocsin, key, ("grafana",), lambda _: signals(payload))


def add_routes(router: APIRouter) -> None:
    """Add the endpoint to the inbound router (:mod:`tocsin.inbound.routes`)."""
    router.add_api_route(
        "/api/v1/integrations/{key}/grafana",
        receive_grafana,
        methods=["POST"],
        route_class_override=PlainRoute,
        tags=["inbound"],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=IngestOut,
        summary="Receive a Grafana unified alerting webhook",
        responses=ERRORS,
    )
