"""Generic webhooks with JMESPath mappings, heartbeats through the job engine, user reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, events, groups, integration, jobs_of
from tests.conftest import Caller
from tocsin.alerts.heartbeats import HEARTBEAT_CHECK
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

MAPPING = {
    "alerts": "checks",
    "dedup_key": "join('/', [host, check])",
    "summary": "message",
    "severity": "level",
    "status": "state",
    "source": "host",
    "labels": "{check: check, env: tags.env}",
    "details": "@",
    "runbook_url": "links.runbook",
}


def test_a_webhook_mapping_turns_any_json_into_alerts(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    key = integration(client, admin, "uptime", "webhook", mapping=MAPPING)
    url = f"/api/v1/integrations/{key}/webhook"
    checks: list[dict[str, Any]] = [
        {
            "host": "web-1",
            "check": "http",
            "message": "HTTP 503 from /health",
            "level": "CRIT",
            "state": "down",
            "tags": {"env": "prod"},
            "links": {"runbook": "https://runbooks.example.com/http"},
        },
        {"host": "web-2", "check": "disk", "message": "Disk 91%", "level": "warn"},
    ]
    assert client.post(url, json={"checks": checks}).status_code == 202
    http, disk = sorted(alerts(tocsin), key=lambda a: a.dedup_key)
    assert (http.dedup_key, http.severity, http.source) == ("web-1/http", "critical", "web-1")
    assert http.labels == {"check": "http", "env": "prod"}
    assert http.runbook_url == "https://runbooks.example.com/http"
    assert (disk.dedup_key, disk.severity) == ("web-2/disk", "warning")
    checks[0]["state"] = "OK"
    client.post(url, json={"checks": checks[:1]})
    assert alerts(tocsin)[0].status == "resolved"
    failing = client.post(url, json={"checks": [{"host": "web-3"}]})
    assert failing.status_code == 422
    assert failing.json()["detail"][0]["loc"] == ["body", "mapping.dedup_key"]
    missing = client.post(url, json={"checks": [{"host": "web-3", "check": "ping"}]})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "alerts[0]"]
    assert "summary" in missing.json()["detail"][0]["msg"]
    not_a_list = client.post(url, json={"checks": "nope"})
    assert not_a_list.status_code == 422


def test_a_missing_heartbeat_alerts_and_the_next_ping_resolves(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    key = integration(
        client, admin, "nightly-backup", "heartbeat", heartbeat={"interval": "1h", "grace": "5m"}
    )
    url = f"/api/v1/heartbeats/{key}"
    first = client.get(url)
    assert first.status_code == 200
    assert first.json()["heartbeat"] == "up"
    clock.advance(minutes=30)
    assert client.post(url).status_code == 200
    clock.advance(minutes=40)  # 70 minutes after the first ping, 40 after the last
    tocsin.engine.run_until_idle()
    assert alerts(tocsin) == []
    clock.advance(minutes=26)  # 66 minutes after the last ping: overdue
    tocsin.engine.run_until_idle()
    [alert] = alerts(tocsin)
    assert alert.status == "triggered"
    assert alert.summary == (
        "Heartbeat nightly-backup missed: no ping since 2026-01-05 09:30:00 UTC "
        "(expected every 1 h, grace 5 min)"
    )
    assert alert.service == "checkout"
    clock.advance(hours=3)
    tocsin.engine.run_until_idle()
    assert len(alerts(tocsin)) == 1
    assert client.get(url).status_code == 200
    assert alerts(tocsin)[0].status == "resolved"
    assert events(tocsin, alert_id=alert.id)[-1] == "resolved"
    pending = [job for job in jobs_of(tocsin, HEARTBEAT_CHECK.name) if job.state == "pending"]
    assert [job.run_at for job in pending] == [clock.now() + timedelta(minutes=65)]


def test_a_heartbeat_survives_a_restart(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    key = integration(client, admin, "cron", "heartbeat", heartbeat={"interval": 600})
    assert client.post(f"/api/v1/heartbeats/{key}").status_code == 200
    restarted = Tocsin.open(tocsin.settings, clock=clock)
    try:
        clock.advance(minutes=12)
        restarted.engine.run_until_idle()
        [alert] = alerts(restarted)
        assert alert.integration == "cron"
    finally:
        restarted.close()


def test_user_reports_raise_alerts_or_declare_incidents(
    tocsin: Tocsin, client: TestClient, viewer: Caller, responder: Caller
) -> None:
    raised = client.post(
        "/api/v1/reports",
        json={"text": "checkout is failing for EU users", "service": "checkout"},
        headers=viewer.headers,
    )
    assert raised.status_code == 201, raised.text
    [alert] = alerts(tocsin)
    assert (alert.source_type, alert.source, alert.service) == ("user_report", "vic", "checkout")
    second = client.post(
        "/api/v1/reports", json={"text": "EU checkout is down"}, headers=viewer.headers
    )
    assert alerts(tocsin)[1].service == "unassigned"
    assert second.json()["group_id"] != raised.json()["group_id"]
    refused = client.post(
        "/api/v1/reports", json={"text": "x", "declare": "SEV-2"}, headers=viewer.headers
    )
    assert refused.status_code == 403
    declared = client.post(
        "/api/v1/reports",
        json={"text": "Payments broken for everyone", "declare": "SEV-1", "service": "payments"},
        headers=responder.headers,
    )
    assert declared.status_code == 201, declared.text
    reference = declared.json()["incident_reference"]
    incident = client.get(f"/api/v1/incidents/{reference}", headers=responder.headers).json()
    assert (incident["source"], incident["severity"]) == ("user_report", "SEV-1")
    unknown = client.post(
        "/api/v1/reports", json={"text": "x", "declare": "SEV-9"}, headers=responder.headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "severity"]
    assert len(groups(tocsin)) == 2
