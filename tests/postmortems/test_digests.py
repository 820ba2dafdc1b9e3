"""Each team's weekly digest of its action items: what it lists, to whom, once a week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from tests.conftest import Caller
from tests.postmortems.support import ok, outbox, serving, set_up
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock
from tocsin.postmortems import digests
from tocsin.postmortems.config_schema import DigestConfig

ITEMS = "/api/v1/action-items"
#: Wednesday: the next digest is Monday 9 March at 09:00 UTC.
WEDNESDAY = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def api(
    tocsin: Tocsin, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    clock.set(WEDNESDAY)
    with serving(tocsin) as c:
        yield c


def configure(tocsin: Tocsin, directory: Path, extra: str = "") -> None:
    set_up(tocsin, directory, extra)
    tocsin.engine.run_until_idle()


def at(tocsin: Tocsin, clock: FakeClock, when: datetime) -> None:
    clock.set(when)
    tocsin.engine.run_until_idle()


def create(api: TestClient, admin: Caller, description: str, **body: Any) -> str:
    item = ok(
        api.post(
            ITEMS,
            json={"description": description, "team": "payments", **body},
            headers=admin.headers,
        ),
        201,
    )
    reference: str = item["reference"]
    return reference


def digests_sent(tocsin: Tocsin) -> list[tuple[str | None, str]]:
    return [(row.user_name, row.subject) for row in outbox(tocsin, "Action items of")]


def test_the_digest_lists_overdue_first_due_soon_and_finished_to_each_member_once_a_week(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path / "config")
    later = create(api, admin, "Write the failover guide", owner="dan", due_date="2026-04-30")
    soon = create(api, admin, "Add pool alerts", owner="carol", due_date="2026-03-12")
    late = create(api, admin, "Fix the retry storm", owner="carol", due_date="2026-03-05")
    done = create(api, admin, "Raise the pool size", owner="dan")
    clock.set(datetime(2026, 2, 25, 9, 0, tzinfo=UTC))
    old = create(api, admin, "Old cleanup", owner="dan")
    ok(api.patch(f"{ITEMS}/{old}", json={"status": "done"}, headers=admin.headers))
    clock.set(datetime(2026, 3, 6, 10, 0, tzinfo=UTC))
    ok(api.patch(f"{ITEMS}/{done}", json={"status": "done"}, headers=admin.headers))
    create(api, admin, "Someone else's", team=None)

    at(tocsin, clock, datetime(2026, 3, 9, 8, 59, tzinfo=UTC))
    assert digests_sent(tocsin) == []
    at(tocsin, clock, datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    subject = "[Tocsin] Action items of payments: 3 open, 1 overdue"
    assert digests_sent(tocsin) == [("carol", subject), ("dan", subject)]
    body = outbox(tocsin, "Action items of")[0].body
    opened, due, finished = body.split("\n\n")[1:4]
    assert opened.splitlines() == [
        "Open (3), overdue first:",
        f"- {late} (P2, prevent) OVERDUE, due 2026-03-05, owner carol: Fix the retry storm",
        f"- {soon} (P2, prevent) due 2026-03-12, owner carol: Add pool alerts",
        f"- {later} (P2, prevent) due 2026-04-30, owner dan: Write the failover guide",
    ]
    assert due.splitlines() == [
        "Due in the next 7 days (1):",
        f"- {soon} (P2, prevent) due 2026-03-12, owner carol: Add pool alerts",
    ]
    assert finished.splitlines() == [
        "Finished in the past week (1):",
        f"- {done} (P2, prevent) done 2026-03-06, owner dan: Raise the pool size",
    ]
    assert old not in body and "Someone else's" not in body

    # Starting the chains again (a restart, a configuration applied) sends nothing more.
    with tocsin.database.transaction() as session:
        digests.plan_all(session, clock.now())
    configure(tocsin, tmp_path / "config")
    at(tocsin, clock, datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    assert len(digests_sent(tocsin)) == 2
    at(tocsin, clock, datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    assert len(digests_sent(tocsin)) == 4


def test_a_team_with_nothing_to_report_gets_nothing(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path / "config")
    old = create(api, admin, "Finished long ago")
    ok(api.patch(f"{ITEMS}/{old}", json={"status": "done"}, headers=admin.headers))
    at(tocsin, clock, datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    assert [subject for _, subject in digests_sent(tocsin)] == [
        "[Tocsin] Action items of payments: 0 open, 0 overdue",
        "[Tocsin] Action items of payments: 0 open, 0 overdue",
    ]  # the week it was finished
    at(tocsin, clock, datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    at(tocsin, clock, datetime(2026, 3, 23, 9, 0, tzinfo=UTC))
    assert len(digests_sent(tocsin)) == 2


def test_the_settings_choose_the_day_the_hour_the_zone_and_the_team_lead(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path / "config")
    create(api, admin, "Add pool alerts", owner="carol")
    settings = (
        "postmortems:\n  action_items:\n    digest:\n      weekday: friday\n"
        "      hour: 17\n      time_zone: Europe/Berlin\n      to: team_lead\n"
    )
    configure(tocsin, tmp_path / "friday", settings)
    # 17:00 in Berlin is 16:00 UTC in March; the Monday planned before sends nothing.
    at(tocsin, clock, datetime(2026, 3, 6, 15, 59, tzinfo=UTC))
    assert digests_sent(tocsin) == []
    at(tocsin, clock, datetime(2026, 3, 6, 16, 0, tzinfo=UTC))
    at(tocsin, clock, datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    assert digests_sent(tocsin) == [("dan", "[Tocsin] Action items of payments: 1 open, 0 overdue")]
    at(tocsin, clock, datetime(2026, 3, 13, 16, 0, tzinfo=UTC))
    assert len(digests_sent(tocsin)) == 2


def test_starting_tocsin_restores_a_missing_chain(
    tocsin: Tocsin, api: TestClient, clock: FakeClock, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path / "config")

    def planned() -> list[tuple[str, datetime]]:
        with tocsin.database.sessions() as session:
            rows = session.scalars(select(Job).where(Job.kind == digests.DIGEST.name))
            return [(row.payload["team"], row.run_at.astimezone(UTC)) for row in rows]

    monday = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert planned() == [("payments", monday)]
    with tocsin.database.transaction() as session:
        session.execute(delete(Job).where(Job.kind == digests.DIGEST.name))
    tocsin.start()
    assert planned() == [("payments", monday)]


def test_a_digest_hour_a_clock_change_skips_comes_later_and_the_chain_goes_on() -> None:
    settings = DigestConfig(weekday="sunday", hour=2, time_zone="Europe/Berlin")
    # 29 March 2026: Berlin's clocks jump from 02:00 to 03:00 (UTC+1 to UTC+2).
    skipped = digests.next_digest(settings, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert skipped == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 summer time
    assert digests.fits(settings, skipped)
    following = digests.next_digest(settings, skipped)
    assert following == datetime(2026, 4, 5, 0, 0, tzinfo=UTC)  # 02:00 summer time
    assert digests.fits(settings, following)
    assert not digests.fits(settings, following + timedelta(hours=1))
