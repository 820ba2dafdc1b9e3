"""Alert accuracy per rule, noisiest first; flapping and auto-resolved alerts per service.

The alerts arrive through the real PagerDuty Events endpoint and are
acknowledged, resolved, timed out and flapped by the real alert lifecycle on
the fake clock, so the report reads what Tocsin records, not what a test
wrote for it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, configure, integration
from tests.alerts.test_lifecycle import send
from tests.conftest import Caller
from tests.metrics.support import MONDAY, add_incident, resolved
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

POLICY = """\
alert_policies:
  checkout:
    group_by: [component]
    group_window: 5m
    auto_resolve_after: 2h
    flapping: {cycles: 3, window: 1h}
"""
REPORT = "/api/v1/metrics/alerts"


def report(client: TestClient, caller: Caller, **params: Any) -> dict[str, Any]:
    answer = client.get(REPORT, params=params, headers=caller.headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def history(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, clock: FakeClock
) -> None:
    """Disk flaps and resolves itself three times; cpu is acknowledged and resolved by a
    person; stale times out; db-down declares an incident and resolves itself."""
    key = integration(client, admin, "pd", "pagerduty")
    for _ in range(3):
        send(client, key, "trigger", "disk", component="db")
        send(client, key, "resolve", "disk")
        clock.advance(minutes=10)
    send(client, key, "trigger", "cpu", component="web")
    cpu = next(alert for alert in alerts(tocsin) if alert.dedup_key == "cpu")
    acked = client.post(f"/api/v1/alerts/{cpu.id}/acknowledge", headers=responder.headers)
    assert acked.status_code == 200, acked.text
    done = client.post(f"/api/v1/alert-groups/{cpu.group_id}/resolve", headers=responder.headers)
    assert done.status_code == 200, done.text
    send(client, key, "trigger", "db-down", severity="critical", component="primary")
    send(client, key, "resolve", "db-down")
    send(client, key, "trigger", "stale", component="cache")
    clock.advance(hours=3)
    tocsin.engine.run_until_idle()


def test_rules_noisiest_first_and_what_resolved_alone(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    responder: Caller,
    viewer: Caller,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    configure(tocsin, tmp_path, {"alerting.yaml": POLICY})
    history(tocsin, client, admin, responder, clock)
    found = report(client, viewer)
    assert [
        (rule["rule"], rule["groups"], rule["incidents"], rule["acknowledged"], rule["noise"])
        for rule in found["rules"]
    ] == [
        ("disk broke", 3, 0, 0, 3),
        ("stale broke", 1, 0, 0, 1),
        ("cpu broke", 1, 0, 1, 0),
        ("db-down broke", 1, 1, 0, 0),
    ]
    assert [rule["precision"] for rule in found["rules"]] == [0.0, 0.0, 1.0, 1.0]
    assert found["rule_count"] == 4
    # Six alerts: the third disk one flapped; disk x3 and db-down were resolved by their
    # sender, stale by Tocsin's timer, cpu by a person.
    assert found["services"] == [
        {
            "service": "checkout",
            "alerts": 6,
            "flapping": 1,
            "auto_resolved": 5,
            "resolved_by_tocsin": 1,
        }
    ]
    critical = report(client, viewer, severity="critical")
    assert [rule["rule"] for rule in critical["rules"]] == ["db-down broke"]
    assert critical["services"][0]["alerts"] == 1
    from_grafana = report(client, viewer, source="grafana")
    assert (from_grafana["rules"], from_grafana["services"]) == ([], [])
    assert [rule["rule"] for rule in report(client, viewer, limit=1)["rules"]] == ["disk broke"]
    # From between the second and the third disk groups.
    since = clock.now() - timedelta(hours=3, minutes=15)
    later = report(client, viewer, **{"from": since.isoformat()})
    assert [(rule["rule"], rule["groups"]) for rule in later["rules"]] == [
        ("disk broke", 1),
        ("stale broke", 1),
        ("cpu broke", 1),
        ("db-down broke", 1),
    ]


def test_what_was_linked_to_a_drill_never_counts(
    tocsin: Tocsin, client: TestClient, viewer: Caller
) -> None:
    with tocsin.database.transaction() as session:
        drill = add_incident(session, resolved(MONDAY, drill=True))
        real = add_incident(session, resolved(MONDAY))
        for incident_id in (drill.id, real.id):
            group = AlertGroup(
                service="checkout",
                group_key=f"g{incident_id}",
                status="resolved",
                title="Game day",
                rule="GameDay",
                labels={},
                urgency="high",
                alert_count=1,
                incident_id=incident_id,
                opened_at=MONDAY,
                last_alert_at=MONDAY,
                resolved_at=MONDAY,
                outcome="incident",
                updated_at=MONDAY,
            )
            session.add(group)
            session.flush()
            session.add(
                Alert(
                    service="checkout",
                    dedup_key=f"a{incident_id}",
                    status="resolved",
                    severity="critical",
                    summary="Game day",
                    integration="pd",
                    source_type="pagerduty",
                    urgency="high",
                    group_id=group.id,
                    incident_id=incident_id,
                    triggered_at=MONDAY,
                    last_event_at=MONDAY,
                    resolved_at=MONDAY,
                    resolved_by="pd",
                )
            )
    found = report(client, viewer)
    assert [(rule["rule"], rule["groups"]) for rule in found["rules"]] == [("GameDay", 1)]
    assert found["services"][0]["alerts"] == 1
