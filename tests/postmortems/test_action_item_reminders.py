"""An action item's owner is reminded before it is due, on the day it is overdue, then weekly.

Deliveries are checked in outbox mode (``TOCSIN_DELIVERY=outbox``). Time moves
on the fake clock; jobs due by then run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    assign,
    caller_for,
    declare,
    move,
    ok,
    outbox,
    postmortem_of,
    set_up,
    timeline_texts,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

ITEMS = "/api/v1/action-items"


def at(tocsin: Tocsin, clock: FakeClock, when: datetime) -> None:
    clock.set(when)
    tocsin.engine.run_until_idle()


def reminded(tocsin: Tocsin) -> list[tuple[str | None, str]]:
    return [(row.user_name, row.subject) for row in outbox(tocsin, "Action item")]


def create(api: TestClient, admin: Caller, **body: Any) -> dict[str, Any]:
    item: dict[str, Any] = ok(
        api.post(
            ITEMS,
            json={"description": "Alert on pool saturation", "owner": "carol", **body},
            headers=admin.headers,
        ),
        201,
    )
    return item


def day(month: int, number: int, hour: int = 9) -> datetime:
    return datetime(2026, month, number, hour, 0, tzinfo=UTC)


def test_reminded_two_days_before_on_the_day_overdue_then_weekly_until_done(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    item = create(api, admin, due_date="2026-03-06")
    ref = item["reference"]
    at(tocsin, clock, day(3, 4, 8))
    assert reminded(tocsin) == []
    at(tocsin, clock, day(3, 4))
    assert reminded(tocsin) == [("carol", f"[Tocsin] Action item {ref} is due in 2 days")]
    at(tocsin, clock, day(3, 7, 8))
    assert len(reminded(tocsin)) == 1
    at(tocsin, clock, day(3, 7))
    at(tocsin, clock, day(3, 13))
    assert reminded(tocsin)[1:] == [("carol", f"[Tocsin] Action item {ref} is overdue by 1 day")]
    at(tocsin, clock, day(3, 14))
    assert reminded(tocsin)[2:] == [("carol", f"[Tocsin] Action item {ref} is overdue by 8 days")]
    (first, *_) = outbox(tocsin, "Action item")
    assert first.kind == "communication" and first.address == "carol@example.com"
    assert f"/action-items/{ref}" in first.body and "Alert on pool saturation" in first.body
    ok(api.patch(f"{ITEMS}/{ref}", json={"status": "done"}, headers=admin.headers))
    at(tocsin, clock, day(3, 21))
    at(tocsin, clock, day(4, 30))
    assert len(reminded(tocsin)) == 3
    history = ok(api.get(f"{ITEMS}/{ref}/history", headers=admin.headers))
    assert [h["said"] for h in history if h["action"] == "reminded"] == [
        "due in 2 days: reminded carol (owner)",
        "overdue by 1 day: reminded carol (owner)",
        "overdue by 8 days: reminded carol (owner)",
    ]


def test_a_new_due_date_plans_the_reminders_again(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    ref = create(api, admin, due_date="2026-03-06")["reference"]
    clock.set(day(3, 3))
    ok(api.patch(f"{ITEMS}/{ref}", json={"due_date": "2026-03-20"}, headers=admin.headers))
    at(tocsin, clock, day(3, 7))
    assert reminded(tocsin) == []  # those planned for the old date do nothing
    at(tocsin, clock, day(3, 18))
    assert reminded(tocsin) == [("carol", f"[Tocsin] Action item {ref} is due in 2 days")]
    ok(api.patch(f"{ITEMS}/{ref}", json={"owner": "dan"}, headers=admin.headers))
    at(tocsin, clock, day(3, 21))
    assert reminded(tocsin)[1:] == [("dan", f"[Tocsin] Action item {ref} is overdue by 1 day")]


def test_the_settings_choose_the_days_the_hour_and_the_time_zone(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    settings = (
        "postmortems:\n  action_items:\n    remind_before_days: 1\n"
        "    remind_overdue_every_days: 2\n    remind_at_hour: 8\n"
        "    time_zone: Europe/Berlin\n"
    )
    set_up(tocsin, tmp_path / "berlin", settings)
    ref = create(api, admin, due_date="2026-03-06")["reference"]
    # 08:00 in Berlin is 07:00 UTC in March.
    at(tocsin, clock, day(3, 5, 6))
    assert reminded(tocsin) == []
    at(tocsin, clock, day(3, 5, 7))
    at(tocsin, clock, day(3, 7, 7))
    at(tocsin, clock, day(3, 9, 7))
    assert [subject for _, subject in reminded(tocsin)] == [
        f"[Tocsin] Action item {ref} is due in 1 day",
        f"[Tocsin] Action item {ref} is overdue by 1 day",
        f"[Tocsin] Action item {ref} is overdue by 3 days",
    ]


def test_no_owner_or_no_due_date_no_reminder(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    create(api, admin, owner=None, due_date="2026-03-04")
    create(api, admin)
    at(tocsin, clock, day(3, 30))
    assert reminded(tocsin) == []


def test_a_postmortem_item_reminded_when_overdue_then_done_closes_the_postmortem(
    tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller, clock: FakeClock
) -> None:
    incident = declare(api, admin, "SEV-2")
    assign(api, admin, incident, "incident_commander", responder.name)
    move(api, responder, incident, "responding")
    move(api, responder, incident, "resolved")
    tocsin.engine.run_until_idle()
    pm = postmortem_of(api, admin, incident)["reference"]
    carol = caller_for(tocsin, "carol")
    ok(api.post(f"{API}/{pm}/submit", json={"reviewers": ["carol"]}, headers=responder.headers))
    ok(api.post(f"{API}/{pm}/reviews", json={"verdict": "approve"}, headers=carol.headers))
    ref = create(api, responder, postmortem=pm, due_date="2026-03-03")["reference"]
    assert ok(api.post(f"{API}/{pm}/publish", json={}, headers=responder.headers))["status"] == (
        "published"
    )
    at(tocsin, clock, day(3, 4))
    assert ("carol", f"[Tocsin] Action item {ref} is overdue by 1 day") in reminded(tocsin)
    done = ok(api.patch(f"{ITEMS}/{ref}", json={"status": "done"}, headers=carol.headers))
    assert (done["status"], done["postmortem"], done["incident"]) == ("done", pm, incident)
    assert ok(api.get(f"{API}/{pm}", headers=admin.headers))["status"] == "closed"
    assert f"Postmortem {pm} closed: every action item is done or won't be done" in " ".join(
        timeline_texts(api, admin, incident)
    )
