"""Routing rules, silences, maintenance windows and auto-incidents."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, configure, events, groups, integration, jobs_of, payload
from tests.conftest import Caller
from tocsin.alerts import handover
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

SERVICES = """\
services:
  checkout: {escalation_policy: checkout-oncall}
  database: {escalation_policy: dba-oncall}
escalation_policies:
  checkout-oncall:
    steps: [{targets: [{user: alice}], timeout_minutes: 10}]
  dba-oncall:
    steps: [{targets: [{user: bob}], timeout_minutes: 5}]
  dba-managers:
    steps: [{targets: [{user: carol}], timeout_minutes: 5}]
"""

RULES = """\
routing_rules:
  databases:
    matchers: ['namespace="db"']
    service: database
    escalation_policy: dba-managers
    urgency: low
  staging-never-incidents:
    matchers: ['cluster=~"staging-.*"']
    incident_severity: none
alert_policies:
  "*":
    group_by: ["..."]
"""


def firing(**labels: str) -> dict[str, Any]:
    body = payload("alertmanager_firing.json")
    body["alerts"] = body["alerts"][:1]
    body["alerts"][0]["labels"].update(labels)
    body["alerts"][0]["fingerprint"] = "-".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return body


def test_routing_rules_choose_service_policy_urgency_and_incident(
    tocsin: Tocsin, client: TestClient, admin: Caller, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path, {"services.yaml": SERVICES, "alerting.yaml": RULES})
    key = integration(client, admin, "prometheus", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    client.post(url, json=firing(namespace="db"))
    client.post(url, json=firing(cluster="staging-2"))
    client.post(url, json=firing(cluster="prod-eu-1"))
    db, staging, prod = groups(tocsin)
    assert (db.service, db.escalation_policy, db.urgency, db.routing_rule) == (
        "database",
        "dba-managers",
        "low",
        "databases",
    )
    assert (staging.service, staging.escalation_policy, staging.incident_id) == (
        "checkout",
        "checkout-oncall",
        None,
    )
    assert prod.incident_id is not None and db.incident_id is not None
    incident = client.get(f"/api/v1/incidents/{prod.incident_id}", headers=admin.headers).json()
    assert (incident["severity"], incident["source"], incident["services"]) == (
        "SEV-2",
        "alert",
        ["checkout"],
    )
    assert incident["links"] == [
        {
            "kind": "runbook",
            "url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
            "title": "Runbook",
        }
    ]
    linked = {a.group_id: a.incident_id for a in alerts(tocsin)}
    assert linked[prod.id] == prod.incident_id and linked[staging.id] is None
    resolved = payload("alertmanager_firing.json")
    resolved["alerts"] = firing(cluster="prod-eu-1")["alerts"]
    resolved["alerts"][0]["status"] = "resolved"
    client.post(url, json=resolved)
    assert groups(tocsin)[2].outcome == "incident"


def test_auto_incident_rules_and_warnings_only_group(
    tocsin: Tocsin, client: TestClient, admin: Caller, tmp_path: Path
) -> None:
    rules = (
        "auto_incident_rules:\n"
        "  payments-errors:\n"
        "    matchers: ['team=\"payments\"']\n"
        "    alert_severities: [critical, error]\n"
        "    incident_severity: SEV-1\n"
    )
    configure(
        tocsin,
        tmp_path,
        {"services.yaml": SERVICES, "alerting.yaml": rules + RULES},
    )
    key = integration(client, admin, "prometheus", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    client.post(url, json=firing(team="payments", severity="error", alertname="A"))
    client.post(url, json=firing(team="search", severity="critical", alertname="B"))
    client.post(url, json=firing(team="payments", severity="warning", alertname="C"))
    levels: list[str | None] = []
    for group in groups(tocsin):
        if group.incident_id is None:
            levels.append(None)
            continue
        answer = client.get(f"/api/v1/incidents/{group.incident_id}", headers=admin.headers)
        levels.append(answer.json()["severity"])
    assert levels == ["SEV-1", None, None]


def test_silences_hold_paging_back_and_page_when_they_end(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, clock: FakeClock
) -> None:
    key = integration(client, admin, "prometheus", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    created = client.post(
        "/api/v1/silences",
        json={
            "matchers": ['alertname="KubePodCrashLooping"', "cluster=~prod-.*"],
            "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
            "comment": "Rolling out a fix",
        },
        headers=responder.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["matchers"] == ['alertname="KubePodCrashLooping"', 'cluster=~"prod-.*"']
    client.post(url, json=payload("alertmanager_firing.json"))
    [group] = groups(tocsin)
    assert (group.paging, group.suppressed_by) == (False, f"silence {created.json()['id']}")
    assert {a.suppressed_by for a in alerts(tocsin)} == {group.suppressed_by}
    assert group.incident_id is None
    assert jobs_of(tocsin, handover.OPENED.name) == []
    clock.advance(minutes=61)
    tocsin.engine.run_until_idle()
    [group] = groups(tocsin)
    assert group.paging and group.suppressed_by is None and group.incident_id is not None
    assert events(tocsin, group_id=group.id)[-2:] == ["incident", "paging"]
    bad = client.post(
        "/api/v1/silences",
        json={"matchers": ["nope"], "ends_at": clock.now().isoformat(), "comment": "x"},
        headers=responder.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "matchers"]


def test_expiring_a_silence_early_pages_now(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, clock: FakeClock
) -> None:
    key = integration(client, admin, "prometheus", "alertmanager")
    silence = client.post(
        "/api/v1/silences",
        json={
            "matchers": ["severity=critical"],
            "ends_at": (clock.now() + timedelta(days=1)).isoformat(),
            "comment": "Noisy during migration",
        },
        headers=responder.headers,
    ).json()
    client.post(
        f"/api/v1/integrations/{key}/alertmanager", json=payload("alertmanager_firing.json")
    )
    assert not groups(tocsin)[0].paging
    expired = client.post(f"/api/v1/silences/{silence['id']}/expire", headers=responder.headers)
    assert expired.json()["active"] is False
    tocsin.engine.run_until_idle()
    assert groups(tocsin)[0].paging
    listed = client.get("/api/v1/silences", headers=responder.headers).json()
    assert listed == []
    everything = client.get(
        "/api/v1/silences", params={"include_expired": True}, headers=responder.headers
    )
    assert [s["expired_by"] for s in everything.json()] == ["rex"]


def test_maintenance_windows_hold_paging_for_their_services(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    start = clock.now() - timedelta(minutes=5)
    window = (
        "maintenance_windows:\n  upgrade:\n    services: [checkout]\n"
        f"    start: {start.isoformat()}\n    end: {(start + timedelta(hours=2)).isoformat()}\n"
    )
    configure(tocsin, tmp_path, {"alerting.yaml": window})
    key = integration(client, admin, "prometheus", "alertmanager")
    other = integration(client, admin, "search", "alertmanager", service="search")
    client.post(
        f"/api/v1/integrations/{key}/alertmanager", json=payload("alertmanager_firing.json")
    )
    client.post(
        f"/api/v1/integrations/{other}/alertmanager", json=payload("alertmanager_firing.json")
    )
    checkout, search = groups(tocsin)
    assert (checkout.paging, checkout.suppressed_by) == (False, "maintenance upgrade")
    assert search.paging
    listed = client.get("/api/v1/maintenance-windows", headers=admin.headers).json()
    assert [(w["name"], w["active"]) for w in listed] == [("upgrade", True)]
    clock.advance(hours=2)
    tocsin.engine.run_until_idle()
    assert groups(tocsin)[0].paging
