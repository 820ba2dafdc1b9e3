"""Handoff jobs on the fake clock: reports at each handoff, chains that follow schedule edits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from tests.conftest import Caller
from tests.oncall.support import (
    SEED_SCHEDULE,
    apply_seed,
    at,
    client_without_engine,
    iso,
    put_schedule,
    user,
)
from tocsin.alerts.tables import Alert
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings
from tocsin.oncall.handoff import HANDOFF, PLAN
from tocsin.oncall.tables import HandoffReport

HANDOFFS = f"/api/v1/schedules/{SEED_SCHEDULE}/handoffs"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def pending_handoffs(tocsin: Tocsin) -> list[tuple[str, str]]:
    """(layer, instant) of every handoff job not yet run."""
    with tocsin.database.sessions() as session:
        rows = session.scalars(
            select(Job).where(Job.kind == HANDOFF.name, Job.state == "pending").order_by(Job.id)
        )
        return sorted((row.payload["layer"], row.payload["at"]) for row in rows)


def stored(tocsin: Tocsin) -> list[tuple[str, str, str | None, str]]:
    with tocsin.database.sessions() as session:
        rows = session.scalars(
            select(HandoffReport).order_by(HandoffReport.at, HandoffReport.layer)
        )
        return [(row.layer, row.at.isoformat(), row.outgoing, row.incoming) for row in rows]


def add_alert(tocsin: Tocsin, summary: str, status: str) -> None:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        session.add(
            Alert(
                service="checkout",
                dedup_key=summary,
                status=status,
                severity="critical",
                summary=summary,
                integration="prometheus",
                source_type="alertmanager",
                urgency="high",
                triggered_at=now,
                last_event_at=now,
                resolved_at=now if status == "resolved" else None,
            )
        )


def declare(client: TestClient, caller: Caller, title: str, detected: str) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/incidents",
        json={"title": title, "severity": "SEV-3", "detected_at": iso(detected)},
        headers=caller.headers,
    )
    assert answer.status_code == 201, answer.text
    incident: dict[str, Any] = answer.json()
    return incident


def first_shift(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, admin: Caller, responder: Caller
) -> dict[str, Any]:
    """The seed's first week: an old incident resolved, one declared, notes, two alerts.

    Returns the incident declared during the shift.
    """
    outgoing = user(tocsin, "engineer-c")
    earlier = declare(client, responder, "Old outage", "2025-12-20T08:00Z")
    resolved = client.post(
        f"/api/v1/incidents/{earlier['reference']}/status",
        json={"status": "resolved", "reason": "fixed"},
        headers=admin.headers,
    )
    assert resolved.status_code == 200, resolved.text
    clock.set(at("2026-01-05T09:10Z"))
    during = declare(client, responder, "Checkout errors", "2026-01-05T09:05Z")
    note = client.post(
        f"/api/v1/schedules/{SEED_SCHEDULE}/handoff-notes",
        json={"text": "db-3 disk fills at 02:00", "layer": "primary"},
        headers=outgoing.headers,
    )
    assert note.status_code == 201, note.text
    client.post(
        f"/api/v1/schedules/{SEED_SCHEDULE}/handoff-notes",
        json={"text": "for secondary only", "layer": "secondary"},
        headers=outgoing.headers,
    )

    add_alert(tocsin, "Checkout 5xx above 2%", "triggered")
    add_alert(tocsin, "Disk almost full", "resolved")
    return during


def test_the_seed_hands_off_every_monday_with_a_report(
    client: TestClient,
    tocsin: Tocsin,
    clock: FakeClock,
    admin: Caller,
    responder: Caller,
    viewer: Caller,
) -> None:
    apply_seed(tocsin)
    tocsin.engine.run_until_idle()
    first = at("2026-01-05T10:00Z")
    assert pending_handoffs(tocsin) == [
        ("primary", first.isoformat()),
        ("secondary", first.isoformat()),
    ]

    during = first_shift(client, tocsin, clock, admin, responder)
    clock.set(first - timedelta(seconds=1))
    tocsin.engine.run_until_idle()
    assert stored(tocsin) == []
    clock.set(first)
    tocsin.engine.run_until_idle()
    assert stored(tocsin) == [
        ("primary", first.isoformat(), "engineer-c", "engineer-a"),
        ("secondary", first.isoformat(), "engineer-a", "engineer-b"),
    ]
    second = first + timedelta(weeks=1)
    assert pending_handoffs(tocsin) == [
        ("primary", second.isoformat()),
        ("secondary", second.isoformat()),
    ]

    answer = client.get(HANDOFFS, params={"layer": "primary"}, headers=viewer.headers)
    assert answer.status_code == 200
    (handoff,) = answer.json()
    report = handoff["report"]
    assert (handoff["outgoing"], handoff["incoming"], handoff["period_start"]) == (
        "engineer-c",
        "engineer-a",
        iso("2025-12-29T10:00Z"),
    )
    assert [each["reference"] for each in report["incidents_during_shift"]] == [during["reference"]]
    assert [each["reference"] for each in report["open_incidents"]] == [during["reference"]]
    assert [(a["summary"], a["status"]) for a in report["unresolved_alerts"]] == [
        ("Checkout 5xx above 2%", "triggered")
    ]
    assert [(n["author"], n["text"]) for n in report["notes"]] == [
        ("engineer-c", "db-3 disk fills at 02:00")
    ]

    clock.set(second)
    tocsin.engine.run_until_idle()
    assert [row[2:] for row in stored(tocsin)[2:]] == [
        ("engineer-a", "engineer-b"),
        ("engineer-b", "engineer-c"),
    ]
    newest = client.get(HANDOFFS, headers=viewer.headers).json()
    assert [(each["layer"], each["at"]) for each in newest[:2]] == [
        ("primary", iso("2026-01-12T10:00Z")),
        ("secondary", iso("2026-01-12T10:00Z")),
    ]
    assert newest[0]["report"]["notes"] == []


def test_overrides_bring_their_own_handoffs(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, responder: Caller
) -> None:
    apply_seed(tocsin)
    clock.set(at("2026-01-06T00:00Z"))
    made = client.post(
        f"/api/v1/schedules/{SEED_SCHEDULE}/overrides",
        json={
            "layer": "primary",
            "user": "rex",
            "start": iso("2026-01-06T12:00Z"),
            "end": iso("2026-01-06T18:00Z"),
        },
        headers=responder.headers,
    )
    assert made.status_code == 201, made.text
    tocsin.engine.run_until_idle()
    assert ("primary", at("2026-01-06T12:00Z").isoformat()) in pending_handoffs(tocsin)
    clock.set(at("2026-01-06T18:00Z"))
    tocsin.engine.run_until_idle()
    assert stored(tocsin)[-2:] == [
        ("primary", at("2026-01-06T12:00Z").isoformat(), "engineer-a", "rex"),
        ("primary", at("2026-01-06T18:00Z").isoformat(), "rex", "engineer-a"),
    ]


def test_a_schedule_edit_moves_the_handoffs_and_stale_jobs_stay_quiet(
    client: TestClient, tocsin: Tocsin, clock: FakeClock
) -> None:
    def daily(handoff_time: str) -> dict[str, Any]:
        return {
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "name": "primary",
                    "rotation": "daily",
                    "handoff_time": handoff_time,
                    "start": "2026-01-01",
                    "participants": ["ada", "bob"],
                }
            ],
        }

    put_schedule(tocsin, "berlin", daily("09:00"))
    tocsin.engine.run_until_idle()
    # 09:00 in Berlin is 08:00 UTC in winter.
    assert pending_handoffs(tocsin) == [("primary", at("2026-01-06T08:00Z").isoformat())]
    clock.set(at("2026-01-05T12:00Z"))
    put_schedule(tocsin, "berlin", daily("18:00"))
    tocsin.engine.run_until_idle()
    assert pending_handoffs(tocsin) == [
        ("primary", at("2026-01-05T17:00Z").isoformat()),
        ("primary", at("2026-01-06T08:00Z").isoformat()),
    ]
    clock.set(at("2026-01-06T12:00Z"))
    tocsin.engine.run_until_idle()
    assert [row[:2] for row in stored(tocsin)] == [("primary", at("2026-01-05T17:00Z").isoformat())]
    assert pending_handoffs(tocsin) == [("primary", at("2026-01-06T17:00Z").isoformat())]


def test_handoff_jobs_survive_a_restart(
    settings: Settings, tocsin: Tocsin, clock: FakeClock
) -> None:
    apply_seed(tocsin)
    tocsin.engine.run_until_idle()
    tocsin.close()
    reopened = Tocsin.open(settings, clock=tocsin.clock)
    try:
        clock.set(at("2026-01-05T10:00Z"))
        reopened.engine.run_until_idle()
        assert len(stored(reopened)) == 2
    finally:
        reopened.close()


def test_a_deleted_schedule_ends_its_chain(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, admin: Caller
) -> None:
    put_schedule(
        tocsin,
        "short",
        {"layers": [{"name": "l", "rotation": "hourly", "participants": ["ada", "vic"]}]},
    )
    tocsin.engine.run_until_idle()
    assert len(pending_handoffs(tocsin)) == 1
    assert client.delete("/api/v1/schedules/short", headers=admin.headers).status_code == 204
    clock.advance(hours=2)
    tocsin.engine.run_until_idle()
    assert pending_handoffs(tocsin) == []
    assert stored(tocsin) == []


def test_a_schedule_written_through_the_definitions_api_gets_its_handoffs(
    client: TestClient, tocsin: Tocsin, admin: Caller
) -> None:
    spec = {"layers": [{"name": "l", "rotation": "hourly", "participants": ["rex", "vic"]}]}
    for name in ("rex", "vic"):
        user(tocsin, name)
    answer = client.put("/api/v1/schedules/hourly", json=spec, headers=admin.headers)
    assert answer.status_code in (200, 201), answer.text
    tocsin.engine.run_until_idle()
    assert len(pending_handoffs(tocsin)) == 1


def test_a_plan_job_queued_by_an_earlier_release_naming_the_schedule_still_plans(
    tocsin: Tocsin, clock: FakeClock
) -> None:
    spec = {"layers": [{"name": "l", "rotation": "hourly", "participants": ["ada", "vic"]}]}
    put_schedule(tocsin, "short", spec)
    tocsin.engine.run_until_idle()
    with tocsin.database.transaction() as session:
        session.execute(delete(Job).where(Job.kind == HANDOFF.name))
    now = clock.now()
    with tocsin.database.transaction() as session:
        # As the session hook of earlier releases wrote it, before the row had an id.
        session.add(
            Job(
                kind=PLAN.name,
                payload={"schedule": "short", "since": now.isoformat()},
                run_at=now,
                attempts=0,
                max_attempts=10,
                state="pending",
                created_at=now,
                updated_at=now,
            )
        )
    tocsin.engine.run_until_idle()
    assert len(pending_handoffs(tocsin)) == 1
