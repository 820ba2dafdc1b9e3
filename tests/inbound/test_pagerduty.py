"""PagerDuty Events API v2: a real client library only needs Tocsin's base URL."""

from __future__ import annotations

from pathlib import Path

import pagerduty
import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import alerts, certificate, events, integration, served
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


def test_the_pagerduty_client_triggers_acknowledges_and_resolves(
    tocsin: Tocsin, client: TestClient, admin: Caller, tmp_path: Path
) -> None:
    key = integration(client, admin, "pd", "pagerduty")
    assert len(key) == 32 and key == key.lower() and int(key, 16) >= 0
    tls = certificate(tmp_path)
    with served(tocsin, tls) as url:
        session = pagerduty.EventsApiV2Client(key, base_url=url, verify=tls.context())
        dedup = session.trigger(
            "Checkout p99 latency above 2s",
            "checkout-api-1",
            dedup_key="checkout-latency",
            severity="critical",
            custom_details={"p99_ms": 2300, "runbook_url": "https://runbooks.example.com/p99"},
            links=[{"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"}],
        )
        assert dedup == "checkout-latency"
        generated = session.trigger("Disk almost full", "db-01", severity="warning")
        assert len(generated) == 32
        assert session.acknowledge("checkout-latency") == "checkout-latency"
        assert session.resolve("checkout-latency") == "checkout-latency"
        with pytest.raises(pagerduty.Error):
            pagerduty.EventsApiV2Client("0" * 32, base_url=url, verify=tls.context()).trigger(
                "x", "y"
            )
    latency, disk = alerts(tocsin)
    assert (latency.status, latency.acknowledged_by, latency.resolved_by) == (
        "resolved",
        "pd",
        "pd",
    )
    assert latency.runbook_url == "https://runbooks.example.com/p99"
    assert latency.details["custom_details"]["p99_ms"] == 2300
    assert latency.links == [
        {"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"}
    ]
    assert events(tocsin, alert_id=latency.id) == [
        "triggered",
        "grouped",
        "acknowledged",
        "resolved",
    ]
    assert (disk.status, disk.severity, disk.dedup_key) == ("triggered", "warning", generated)


def test_answers_are_pagerduty_s(client: TestClient, admin: Caller) -> None:
    key = integration(client, admin, "pd", "pagerduty")
    ok = client.post(
        "/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": "k1",
            "payload": {"summary": "s", "source": "h", "severity": "info"},
        },
    )
    assert (ok.status_code, ok.json()) == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "k1"},
    )
    bad = client.post(
        "/v2/enqueue",
        json={"routing_key": key, "event_action": "trigger", "payload": {"source": "h"}},
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "'payload.summary' is missing or blank",
            "'payload.severity' is missing or blank",
        ],
    }
    no_key = client.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve"})
    assert no_key.json()["errors"] == ["'dedup_key' is missing or blank"]
    wrong = client.post(
        "/v2/enqueue", json={"routing_key": "f" * 32, "event_action": "resolve", "dedup_key": "k"}
    )
    assert (wrong.status_code, wrong.json()["errors"]) == (400, ["Invalid routing key"])
    not_json = client.post(
        "/v2/enqueue", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["status"] == "invalid event"


def test_throttled_keys_get_429_with_retry_after(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    key = integration(client, admin, "pd", "pagerduty", rate_limit_per_minute=2)
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "h", "severity": "info"},
    }
    answers = [client.post("/v2/enqueue", json=event) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].headers["retry-after"] == "30"
    assert answers[2].json()["status"] == "throttle event"
    assert len(alerts(tocsin)) == 2
    clock.advance(seconds=30)
    assert client.post("/v2/enqueue", json=event).status_code == 202


def test_alertmanager_pagerduty_receiver_format_is_accepted(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    """Alertmanager's own pagerduty_configs posts this shape to a configurable url."""
    key = integration(client, admin, "pd", "pagerduty")
    body = {
        "routing_key": key,
        "dedup_key": "f0f1e2d3c4b5a697",
        "event_action": "trigger",
        "payload": {
            "summary": "[FIRING:1] InstanceDown (node-exporter prod)",
            "source": "alertmanager",
            "severity": "critical",
            "custom_details": {"firing": "Labels:\n - alertname = InstanceDown\n"},
        },
        "client": "Alertmanager",
        "client_url": "http://alertmanager.example.com:9093/#/alerts?receiver=pd",
        "links": [],
        "images": [],
    }
    assert client.post("/v2/enqueue", json=body).status_code == 202
    [alert] = alerts(tocsin)
    assert alert.links == [
        {
            "href": "http://alertmanager.example.com:9093/#/alerts?receiver=pd",
            "text": "Alertmanager",
        }
    ]
