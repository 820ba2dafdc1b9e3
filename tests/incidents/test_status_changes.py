"""Every status transition through the API: allowed ones apply, forbidden ones change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import product

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
    incident,
    timeline,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

STATUSES = ("triage", "responding", "mitigated", "resolved", "closed")
#: The issue's lifecycle, written out independently of tocsin.domain.lifecycle.
ALLOWED = {
    ("triage", "responding"),
    ("triage", "mitigated"),
    ("triage", "resolved"),
    ("responding", "mitigated"),
    ("responding", "resolved"),
    ("mitigated", "responding"),
    ("mitigated", "resolved"),
    ("resolved", "responding"),
    ("resolved", "closed"),
}
NEEDS_REASON = {("triage", "resolved"), ("mitigated", "responding"), ("resolved", "responding")}
PATH_TO = {
    "triage": [],
    "responding": ["responding"],
    "mitigated": ["responding", "mitigated"],
    "resolved": ["responding", "resolved"],
    "closed": ["responding", "resolved", "closed"],
}


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def move(client: TestClient, caller: Caller, reference: str, target: str, reason: str = "") -> None:
    body = {"status": target, "reason": reason or f"going to {target}"}
    response = client.post(f"{API}/{reference}/status", json=body, headers=caller.headers)
    assert response.status_code == 200, response.text


def at_status(client: TestClient, admin: Caller, status: str) -> str:
    reference: str = declare(client, admin)["reference"]
    for step in PATH_TO[status]:
        move(client, admin, reference, step)
    return reference


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed_transition_applies_and_is_on_the_timeline(
    client: TestClient, admin: Caller, clock: FakeClock, source: str, target: str
) -> None:
    reference = at_status(client, admin, source)
    before = timeline(client, admin, reference)
    clock.advance(minutes=5)
    response = client.post(
        f"{API}/{reference}/status",
        json={"status": target, "reason": "checked by the test"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["incident"]["status"] == target
    after = timeline(client, admin, reference)
    assert after[: len(before)] == before
    (entry,) = after[len(before) :]
    assert entry["kind"] == "status_change"
    assert entry["details"]["from"] == source and entry["details"]["to"] == target
    assert entry["author"] == admin.name
    assert entry["recorded_at"] == clock.now().isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("source", "target"),
    [pair for pair in product(STATUSES, STATUSES) if pair not in ALLOWED],
)
def test_forbidden_transition_answers_409_and_changes_nothing(
    client: TestClient, admin: Caller, source: str, target: str
) -> None:
    reference = at_status(client, admin, source)
    before, entries = incident(client, admin, reference), timeline(client, admin, reference)
    response = client.post(
        f"{API}/{reference}/status",
        json={"status": target, "reason": "trying anyway"},
        headers=admin.headers,
    )
    assert response.status_code == 409, response.text
    allowed = sorted(t for s, t in ALLOWED if s == source)
    detail = response.json()["detail"]
    assert f"cannot go from {source} to {target}" in detail
    for name in allowed:
        assert name in detail.split("allowed:")[1]
    if not allowed:
        assert "closed is final" in detail
    assert incident(client, admin, reference) == before
    assert timeline(client, admin, reference) == entries


@pytest.mark.parametrize(("source", "target"), sorted(NEEDS_REASON))
def test_some_moves_need_a_reason(
    client: TestClient, admin: Caller, source: str, target: str
) -> None:
    reference = at_status(client, admin, source)
    before, entries = incident(client, admin, reference), timeline(client, admin, reference)
    for reason in (None, "   "):
        response = client.post(
            f"{API}/{reference}/status",
            json={"status": target, "reason": reason},
            headers=admin.headers,
        )
        assert field_error(response) == ("reason",)
    assert incident(client, admin, reference) == before
    assert timeline(client, admin, reference) == entries


def test_unknown_status_names_the_field(client: TestClient, admin: Caller) -> None:
    reference = declare(client, admin)["reference"]
    response = client.post(
        f"{API}/{reference}/status", json={"status": "fixed"}, headers=admin.headers
    )
    assert field_error(response) == ("status",)
    assert "expected one of: triage, responding, mitigated, resolved, closed" in response.text


def test_milestones_feed_the_metrics(client: TestClient, admin: Caller, clock: FakeClock) -> None:
    start = clock.now()
    reference = declare(
        client,
        admin,
        impact_started_at=(start - timedelta(minutes=13)).isoformat(),
    )["reference"]
    clock.advance(minutes=3)
    move(client, admin, reference, "responding")
    clock.advance(minutes=14)
    move(client, admin, reference, "mitigated")
    clock.advance(minutes=17)
    move(client, admin, reference, "resolved")
    clock.advance(minutes=5)
    move(client, admin, reference, "responding", reason="errors are back")
    clock.advance(minutes=10)
    move(client, admin, reference, "resolved")
    clock.advance(days=2)
    move(client, admin, reference, "closed")
    found = incident(client, admin, reference)

    def minutes_after_start(name: str) -> float:
        value = datetime.fromisoformat(found[name])
        return (value - start).total_seconds() / 60

    assert minutes_after_start("impact_started_at") == -13
    assert minutes_after_start("detected_at") == 0
    assert minutes_after_start("acknowledged_at") == 3
    assert minutes_after_start("mitigated_at") == 17
    assert minutes_after_start("resolved_at") == 49  # the final resolution
    assert minutes_after_start("closed_at") == 49 + 2 * 24 * 60
    assert found["reopen_count"] == 1
    assert found["allowed_transitions"] == []


def test_a_responder_who_is_not_commander_cannot_resolve(
    client: TestClient, admin: Caller, responder: Caller
) -> None:
    reference = at_status(client, admin, "responding")
    entries = timeline(client, admin, reference)
    body = {"status": "resolved"}
    response = client.post(f"{API}/{reference}/status", json=body, headers=responder.headers)
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"only the Incident Commander or an admin may resolve {reference}; rex holds no role in it"
    )
    assert timeline(client, admin, reference) == entries

    assign = {"role": "incident_commander", "user": responder.name}
    assert client.post(f"{API}/{reference}/roles", json=assign, headers=admin.headers).is_success
    response = client.post(f"{API}/{reference}/status", json=body, headers=responder.headers)
    assert response.status_code == 200
    assert response.json()["incident"]["status"] == "resolved"


def test_viewers_cannot_change_status(client: TestClient, admin: Caller, viewer: Caller) -> None:
    reference = declare(client, admin)["reference"]
    response = client.post(
        f"{API}/{reference}/status", json={"status": "responding"}, headers=viewer.headers
    )
    assert response.status_code == 403
    assert incident(client, admin, reference)["status"] == "triage"
