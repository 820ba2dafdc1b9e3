"""Migration 0019 marks the pages already sent after hours in their people's time zones.

Pages are written at the head, the database is stepped back to 0018 (which
forgets the mark) and upgraded again: each page's mark is worked out anew, a
batch at a time, from its person's zone (UTC for a person Tocsin does not know).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

import tocsin.app.all_tables  # noqa: F401
from tocsin.auth.tables import User
from tocsin.db import migrate
from tocsin.db.database import Database
from tocsin.domain.metric_calendar import after_hours_in
from tocsin.kernel.settings import Settings
from tocsin.paging.tables import EscalationRun, Page

START = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)  # a Friday, before Europe's clocks change
ZONES = {"ada": "Asia/Kolkata", "bob": "America/New_York", "cy": "UTC"}
#: More than one batch of the migration (1,000 pages), and not a whole number of them.
PAGES = 2_345


def _seed(database: Database) -> None:
    with Session(database.engine) as session, session.begin():
        for name, zone in ZONES.items():
            session.add(User(name=name, time_zone=zone, created_at=START, updated_at=START))
        run = EscalationRun(
            subject_type="manual",
            subject_key="m1",
            title="Checkout errors",
            policy_name="default",
            policy={},
            urgency="high",
            started_at=START,
            updated_at=START,
        )
        session.add(run)
        session.flush()
        people = [*ZONES, "gone"]  # "gone": a page of somebody since removed
        session.add_all(
            Page(
                run_id=run.id,
                user_name=people[number % len(people)],
                step_index=0,
                title="Checkout errors",
                urgency="high",
                created_at=START + timedelta(minutes=37 * number),
                after_hours=False,
            )
            for number in range(PAGES)
        )


def test_upgrading_marks_each_page_sent_after_hours_in_its_persons_zone(
    settings: Settings,
) -> None:
    database = Database(settings)
    migrate.upgrade(database.engine)
    _seed(database)
    migrate.downgrade(database.engine, "0018")
    migrate.upgrade(database.engine)
    with Session(database.engine) as session:
        pages = session.execute(
            sa.select(Page.user_name, Page.created_at, Page.after_hours).order_by(Page.id)
        ).all()
    database.dispose()
    assert len(pages) == PAGES
    expected = [after_hours_in(sent, ZONES.get(person)) for person, sent, _ in pages]
    assert [late for _, _, late in pages] == expected
    # The zones matter: the same instants give other marks in other zones.
    assert 0 < sum(expected) < PAGES
    assert expected != [after_hours_in(sent, "UTC") for _, sent, _ in pages]
