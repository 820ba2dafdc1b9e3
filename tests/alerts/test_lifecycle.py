"""Alert lifecycle: grouping windows, acks, resolution, accuracy, auto-resolve, flapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, configure, events, groups, integration, jobs_of
from tests.conftest import Caller
from tocsin.alerts import handover
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


def send(
    client: TestClient, key: str, action: str, dedup: str, severity: str = "warning", **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {"routing_key": key, "event_action": action, "dedup_key": dedup}
    if action == "trigger":
        event["payload"] = {"summary": f"{dedup} broke", "source": "host", "severity": severity}
        event["payload"].update(extra)
    answer = client.post("/v2/enqueue", json=event)
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_alerts_within_the_window_share_a_group_that_pages_once(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path, {"alerting.yaml": POLICY})
    key = integration(client, admin, "pd", "pagerduty")
    send(client, key, "trigger", "a", component="db")
    clock.advance(minutes=4)
    send(client, key, "trigger", "b", component="db")
    send(client, key, "trigger", "c", component="web")
    clock.advance(minutes=9)  # "db" group's latest alert came 9 minutes ago: the window closed
    send(client, key, "trigger", "d", component="db")
    by_key = {alert.dedup_key: alert.group_id for alert in alerts(tocsin)}
    assert by_key["a"] == by_key["b"] != by_key["c"]
    assert by_key["d"] not in (by_key["a"], by_key["c"])
    assert [g.alert_count for g in groups(tocsin)] == [2, 1, 1]
    assert len(jobs_of(tocsin, handover.OPENED.name)) == 3
    tocsin.engine.run_until_idle()
    first = groups(tocsin)[0]
    assert events(tocsin, group_id=first.id) == ["grouped", "grouped", "paging"]


def test_acknowledging_and_resolving_through_the_api_and_accuracy(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, viewer: Caller
) -> None:
    key = integration(client, admin, "pd", "pagerduty")
    noisy = send(client, key, "trigger", "disk")
    send(client, key, "resolve", "disk")
    acked = send(client, key, "trigger", "cpu")
    alert_id = alerts(tocsin)[1].id
    assert noisy["dedup_key"] == "disk" and acked["dedup_key"] == "cpu"
    refused = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=viewer.headers)
    assert refused.status_code == 403
    done = client.post(
        f"/api/v1/alerts/{alert_id}/acknowledge",
        json={"note": "on it"},
        headers=responder.headers,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["acknowledged_by"]) == ("acknowledged", "rex")
    again = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=responder.headers)
    assert again.status_code == 409
    group_id = done.json()["group_id"]
    resolved = client.post(f"/api/v1/alert-groups/{group_id}/resolve", headers=responder.headers)
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["outcome"] == "acknowledged"
    assert client.get("/api/v1/alerts/999", headers=viewer.headers).status_code == 404
    detail = client.get(f"/api/v1/alerts/{alert_id}", headers=viewer.headers).json()
    assert [e["kind"] for e in detail["events"]] == [
        "triggered",
        "grouped",
        "acknowledged",
        "resolved",
    ]
    assert detail["events"][2]["text"] == "on it"
    listed = client.get("/api/v1/alerts", params={"status": "open"}, headers=viewer.headers)
    assert listed.json()["total"] == 0
    accuracy = client.get("/api/v1/alert-accuracy", headers=viewer.headers).json()
    assert accuracy == [
        {
            "service": "checkout",
            "rule": "disk broke",
            "groups": 1,
            "incidents": 0,
            "acknowledged": 0,
            "noise": 1,
            "precision": 0.0,
        },
        {
            "service": "checkout",
            "rule": "cpu broke",
            "groups": 1,
            "incidents": 0,
            "acknowledged": 1,
            "noise": 0,
            "precision": 1.0,
        },
    ]


def test_quiet_alerts_resolve_by_themselves(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path, {"alerting.yaml": POLICY})
    key = integration(client, admin, "pd", "pagerduty")
    send(client, key, "trigger", "stale")
    clock.advance(minutes=90)
    send(client, key, "trigger", "stale")  # an event restarts the quiet time
    clock.advance(minutes=60)
    tocsin.engine.run_until_idle()
    assert alerts(tocsin)[0].status == "triggered"
    clock.advance(minutes=61)
    tocsin.engine.run_until_idle()
    [alert] = alerts(tocsin)
    assert (alert.status, alert.resolved_by) == ("resolved", "tocsin")
    assert groups(tocsin)[0].outcome == "noise"


def test_flapping_alerts_are_marked_and_stop_paging(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path, {"alerting.yaml": POLICY})
    key = integration(client, admin, "pd", "pagerduty")
    for _ in range(4):
        send(client, key, "trigger", "flappy")
        clock.advance(minutes=6)
        send(client, key, "resolve", "flappy")
        clock.advance(minutes=6)
    stored = alerts(tocsin)
    assert [a.flapping for a in stored] == [False, False, True, True]
    assert [g.paging for g in groups(tocsin)] == [True, True, False, False]
    assert [g.suppressed_by for g in groups(tocsin)][2:] == ["flapping flappy"] * 2
    assert len(jobs_of(tocsin, handover.OPENED.name)) == 2
    assert "flapping" in events(tocsin, alert_id=stored[2].id)
    clock.advance(hours=2)
    send(client, key, "trigger", "flappy")
    assert alerts(tocsin)[-1].flapping is False
    assert len(jobs_of(tocsin, handover.OPENED.name)) == 3
