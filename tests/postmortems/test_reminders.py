"""The owner is reminded before the postmortem is due and every day once it is overdue.

Deliveries are checked in outbox mode (``TOCSIN_DELIVERY=outbox``): every
message is recorded in the outbox table instead of being sent. Time moves on
the fake clock; jobs due by then run.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    MONDAY,
    assign,
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


def at(tocsin: Tocsin, clock: FakeClock, hours: float) -> None:
    """Move the clock to Monday 09:00 plus ``hours`` and run every job due by then."""
    clock.set(MONDAY + timedelta(hours=hours))
    tocsin.engine.run_until_idle()


def reminders(tocsin: Tocsin) -> list[tuple[str | None, str]]:
    return [(row.user_name, row.subject) for row in outbox(tocsin, "Postmortem")]


def resolved_with_commander(api: TestClient, tocsin: Tocsin, admin: Caller, who: str) -> str:
    reference = declare(api, admin, "SEV-2")
    assign(api, admin, reference, "incident_commander", who)
    move(api, admin, reference, "responding")
    move(api, admin, reference, "resolved")
    tocsin.engine.run_until_idle()
    return reference


def test_reminded_a_day_before_then_daily_once_overdue(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    reference = resolved_with_commander(api, tocsin, admin, "carol")
    pm = postmortem_of(api, admin, reference)["reference"]
    at(tocsin, clock, 23.9)
    assert reminders(tocsin) == []
    at(tocsin, clock, 24)
    assert reminders(tocsin) == [
        ("carol", f"[Tocsin] Postmortem {pm} for {reference} is due in 1 day")
    ]
    at(tocsin, clock, 71)
    assert len(reminders(tocsin)) == 1
    assert ok(api.get(f"{API}/{pm}", headers=admin.headers))["overdue"] is True
    at(tocsin, clock, 72)
    at(tocsin, clock, 96)
    assert [subject for _, subject in reminders(tocsin)[1:]] == [
        f"[Tocsin] Postmortem {pm} for {reference} is overdue by 1 day",
        f"[Tocsin] Postmortem {pm} for {reference} is overdue by 2 days",
    ]
    (first, *_) = outbox(tocsin, "Postmortem")
    assert first.address == "carol@example.com" and f"/postmortems/{pm}" in first.body
    assert first.kind == "communication"
    texts = timeline_texts(api, admin, reference)
    assert f"Postmortem {pm} is due in 1 day: reminded carol (owner)" in texts
    assert f"Postmortem {pm} is overdue by 2 days: reminded carol (owner)" in texts


def test_a_new_due_date_or_owner_moves_the_reminders(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    reference = resolved_with_commander(api, tocsin, admin, "carol")
    pm = postmortem_of(api, admin, reference)["reference"]
    later = MONDAY + timedelta(days=7)
    changed = ok(
        api.patch(
            f"{API}/{pm}",
            json={"due_at": later.isoformat(), "owner": "dan", "version": 1},
            headers=admin.headers,
        )
    )
    assert (changed["owner"], changed["version"]) == ("dan", 2)
    at(tocsin, clock, 24)
    assert reminders(tocsin) == []  # the reminder planned for the old date does nothing
    at(tocsin, clock, 6 * 24)
    assert reminders(tocsin) == [
        ("dan", f"[Tocsin] Postmortem {pm} for {reference} is due in 1 day")
    ]
    versions = ok(api.get(f"{API}/{pm}/versions", headers=admin.headers))
    assert versions[1]["action"] == "reassigned"
    assert {c["field"] for c in versions[1]["changes"]} == {"owner", "due_at"}
    stale = api.patch(f"{API}/{pm}", json={"owner": "carol", "version": 1}, headers=admin.headers)
    assert stale.status_code == 409 and "changed since version 1" in stale.json()["detail"]


def test_with_no_reminder_before_the_first_comes_once_it_is_overdue(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path / "quiet", "postmortems:\n  remind_before_hours: 0\n")
    reference = declare(api, admin, "SEV-1")
    move(api, admin, reference, "responding")
    move(api, admin, reference, "resolved")
    tocsin.engine.run_until_idle()
    # No commander: ada, who declared it, owns it.
    pm = postmortem_of(api, admin, reference)
    assert pm["owner"] == admin.name
    at(tocsin, clock, 47)
    at(tocsin, clock, 72)
    assert reminders(tocsin) == [
        (admin.name, f"[Tocsin] Postmortem {pm['reference']} for {reference} is overdue by 1 day")
    ]
