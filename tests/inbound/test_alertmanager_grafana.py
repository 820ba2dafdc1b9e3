"""Real Alertmanager v4 and Grafana payloads create, deduplicate and resolve alerts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, events, groups, integration, jobs_of, payload
from tests.conftest import Caller
from tocsin.alerts import handover
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


def test_alertmanager_notifications_create_deduplicate_and_resolve(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    key = integration(client, admin, "prometheus", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"

    first = client.post(url, json=payload("alertmanager_firing.json"))
    assert first.status_code == 202, first.text
    assert [a["result"] for a in first.json()["alerts"]] == ["open", "open"]

    clock.advance(minutes=5)
    repeat = client.post(url, json=payload("alertmanager_firing.json"))
    assert [a["result"] for a in repeat.json()["alerts"]] == ["repeat", "repeat"]
    stored = alerts(tocsin)
    assert [(a.dedup_key, a.occurrences, a.status) for a in stored] == [
        ("3c8e7f2a91b04d6e", 2, "triggered"),
        ("9a1d55c0e7f3b822", 2, "triggered"),
    ]
    first_alert = stored[0]
    assert first_alert.summary == "Pod is crash looping."
    assert first_alert.severity == "critical"
    assert first_alert.runbook_url == (
        "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping"
    )
    assert first_alert.labels["pod"] == "checkout-7d9c6b5f4-x2k8p"
    assert first_alert.started_at is not None and first_alert.started_at.minute == 55

    clock.advance(minutes=10)
    client.post(url, json=payload("alertmanager_partly_resolved.json"))
    assert [a.status for a in alerts(tocsin)] == ["resolved", "triggered"]
    assert [g.status for g in groups(tocsin)] == ["open"]

    clock.advance(minutes=10)
    done = client.post(url, json=payload("alertmanager_resolved.json"))
    assert done.status_code == 202
    assert [a.status for a in alerts(tocsin)] == ["resolved", "resolved"]
    [group] = groups(tocsin)
    assert group.status == "resolved" and group.alert_count == 2
    assert group.rule == "KubePodCrashLooping"
    assert events(tocsin, alert_id=first_alert.id) == [
        "triggered",
        "grouped",
        "repeated",
        "resolved",
    ]
    assert len(jobs_of(tocsin, handover.OPENED.name)) == 1


def test_grafana_contact_point_payloads(tocsin: Tocsin, client: TestClient, admin: Caller) -> None:
    key = integration(client, admin, "grafana", "grafana")
    url = f"/api/v1/integrations/{key}/grafana"
    assert client.post(url, json=payload("grafana_firing.json")).status_code == 202
    stored = {a.dedup_key: a for a in alerts(tocsin)}
    assert sorted(stored) == ["5e2a9c0d8f7b6a14", "c6eadffa33fcdf37"]
    west = stored["c6eadffa33fcdf37"]
    assert west.summary == "Memory above 90% in zone eu-west-1"
    assert west.severity == "error"  # Grafana sent no severity label
    assert west.details["values"] == {"B": 93.23943737541908, "C": 1}
    assert [link["text"] for link in west.links] == [
        "Alert rule",
        "Dashboard",
        "Panel",
        "Silence in Grafana",
    ]
    assert west.runbook_url == "https://wiki.example.com/runbooks/checkout-memory"
    assert client.post(url, json=payload("grafana_resolved.json")).status_code == 202
    assert {a.status for a in alerts(tocsin)} == {"resolved"}


def test_replaying_the_same_payloads_creates_no_duplicates(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    am = f"/api/v1/integrations/{integration(client, admin, 'am', 'alertmanager')}/alertmanager"
    gf = f"/api/v1/integrations/{integration(client, admin, 'gf', 'grafana')}/grafana"
    for _ in range(2):
        for url, name in ((am, "alertmanager_firing.json"), (gf, "grafana_firing.json")):
            assert client.post(url, json=payload(name)).status_code == 202
        clock.advance(seconds=30)
    assert len(alerts(tocsin)) == 4
    assert {a.occurrences for a in alerts(tocsin)} == {2}
    assert len(groups(tocsin)) == 1
    assert len(jobs_of(tocsin, handover.OPENED.name)) == 1


def test_a_key_only_works_on_its_own_endpoint(client: TestClient, admin: Caller) -> None:
    key = integration(client, admin, "grafana", "grafana")
    wrong = client.post(
        f"/api/v1/integrations/{key}/alertmanager", json=payload("alertmanager_firing.json")
    )
    unknown = client.post(
        f"/api/v1/integrations/{'f' * 32}/alertmanager", json=payload("alertmanager_firing.json")
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
