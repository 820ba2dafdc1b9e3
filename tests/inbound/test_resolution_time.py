"""A resolved Alertmanager or Grafana alert keeps the sender's endsAt and resolved then, if sane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import alerts, groups, integration, payload
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.domain.alert_lifecycle import resolution_time
from tocsin.kernel.clock import FakeClock

STARTED = datetime(2026, 1, 5, 8, 56, 40, 1000, tzinfo=UTC)
ENDED = datetime(2026, 1, 5, 9, 20, 10, 1000, tzinfo=UTC)


def resolved_with(ends_at: str) -> dict[str, Any]:
    body = payload("alertmanager_resolved.json")
    body["alerts"][0]["endsAt"] = ends_at
    return body


def fire_then_resolve(
    client: TestClient, admin: Caller, clock: FakeClock, resolved: dict[str, Any]
) -> None:
    key = integration(client, admin, "am", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    firing = payload("alertmanager_firing.json")
    firing["alerts"] = firing["alerts"][1:]
    assert client.post(url, json=firing).status_code == 202
    clock.advance(timedelta(minutes=25))
    assert client.post(url, json=resolved).status_code == 202


def test_an_alertmanager_resolution_keeps_endsat_and_resolves_at_it(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    fire_then_resolve(client, admin, clock, payload("alertmanager_resolved.json"))
    [alert] = alerts(tocsin)
    assert alert.status == "resolved"
    assert alert.started_at == STARTED
    assert alert.resolved_at == ENDED
    assert alert.details["endsAt"] == ENDED.isoformat()
    assert alert.last_event_at == clock.now()
    [group] = groups(tocsin)
    assert group.resolved_at == clock.now()
    shown = client.get(f"/api/v1/alerts/{alert.id}", headers=admin.headers).json()
    assert shown["resolved_at"] == "2026-01-05T09:20:10.001000Z"
    [resolved] = [event for event in shown["events"] if event["kind"] == "resolved"]
    assert resolved["at"] == "2026-01-05T09:25:00Z"
    assert resolved["detail"] == {"resolved_at": ENDED.isoformat()}


@pytest.mark.parametrize(
    "ends_at",
    [
        "2026-01-05T09:40:00Z",  # after the notification arrived (09:25)
        "2026-01-05T08:50:00Z",  # before the alert's startsAt (08:56:40)
        "0001-01-01T00:00:00Z",  # Alertmanager's "no end time"
    ],
)
def test_an_endsat_that_is_not_sane_resolves_at_the_receive_time(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock, ends_at: str
) -> None:
    fire_then_resolve(client, admin, clock, resolved_with(ends_at))
    [alert] = alerts(tocsin)
    assert alert.status == "resolved"
    assert alert.resolved_at == clock.now()


def test_grafana_resolutions_use_their_endsat_in_utc(
    tocsin: Tocsin, client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 1, 5, 8, 55, tzinfo=UTC))
    key = integration(client, admin, "gr", "grafana")
    url = f"/api/v1/integrations/{key}/grafana"
    assert client.post(url, json=payload("grafana_firing.json")).status_code == 202
    clock.advance(timedelta(minutes=30))
    assert client.post(url, json=payload("grafana_resolved.json")).status_code == 202
    ended = {alert.dedup_key: alert.resolved_at for alert in alerts(tocsin)}
    assert ended == {
        "c6eadffa33fcdf37": datetime(2026, 1, 5, 9, 20, 3, 157076, tzinfo=UTC),
        "5e2a9c0d8f7b6a14": datetime(2026, 1, 5, 9, 21, 33, 111000, tzinfo=UTC),
    }


def test_resolution_time_takes_the_senders_end_only_within_start_and_now() -> None:
    now = datetime(2026, 1, 5, 10, tzinfo=UTC)
    start = now - timedelta(hours=1)
    assert resolution_time(now - timedelta(minutes=5), start, now) == now - timedelta(minutes=5)
    assert resolution_time(start, start, now) == start
    assert resolution_time(now, start, now) == now
    assert resolution_time(now + timedelta(seconds=1), start, now) == now
    assert resolution_time(start - timedelta(seconds=1), start, now) == now
    assert resolution_time(start - timedelta(days=1), None, now) == start - timedelta(days=1)
