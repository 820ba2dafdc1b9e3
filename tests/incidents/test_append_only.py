"""The database itself refuses to rewrite an incident's timeline, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from tocsin.app.service import Tocsin
from tocsin.incidents import declaring, notes, records
from tocsin.incidents.editing import Actor
from tocsin.incidents.tables import TIMELINE_APPEND_ONLY, TimelineRow
from tocsin.kernel.clock import FakeClock


def declared(tocsin: Tocsin, clock: FakeClock) -> int:
    with tocsin.database.transaction() as session:
        incident = declaring.declare(
            session,
            declaring.NewIncident(title="Disk full", severity="SEV-3"),
            Actor("ada"),
            clock.now(),
        )
        notes.add_note(session, incident, "df shows 100%", "observation", Actor("ada"), clock.now())
        return incident.id


def stored(tocsin: Tocsin, incident_id: int) -> list[tuple[int, str, str]]:
    with tocsin.database.sessions() as session:
        rows = session.execute(
            select(TimelineRow.sequence, TimelineRow.kind, TimelineRow.text)
            .where(TimelineRow.incident_id == incident_id)
            .order_by(TimelineRow.sequence)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE incident_timeline SET text = 'rewritten'",
        "UPDATE incident_timeline SET occurred_at = recorded_at WHERE sequence = 2",
        "DELETE FROM incident_timeline",
        "DELETE FROM incident_timeline WHERE sequence = 2",
    ],
)
def test_direct_sql_cannot_update_or_delete_entries(
    tocsin: Tocsin, clock: FakeClock, statement: str
) -> None:
    incident_id = declared(tocsin, clock)
    before = stored(tocsin, incident_id)
    with (
        pytest.raises(DatabaseError, match=TIMELINE_APPEND_ONLY),
        tocsin.database.transaction() as session,
    ):
        session.execute(text(statement))
    assert stored(tocsin, incident_id) == before


def test_orm_updates_and_deletes_are_refused_too(tocsin: Tocsin, clock: FakeClock) -> None:
    incident_id = declared(tocsin, clock)
    before = stored(tocsin, incident_id)
    with (
        pytest.raises(DatabaseError, match=TIMELINE_APPEND_ONLY),
        tocsin.database.transaction() as session,
    ):
        session.execute(
            update(TimelineRow)
            .where(TimelineRow.incident_id == incident_id)
            .values(author="someone else")
        )
    with (
        pytest.raises(DatabaseError, match=TIMELINE_APPEND_ONLY),
        tocsin.database.transaction() as session,
    ):
        row = session.scalars(select(TimelineRow)).first()
        session.delete(row)
    assert stored(tocsin, incident_id) == before


def test_appending_still_works_and_numbers_entries(tocsin: Tocsin, clock: FakeClock) -> None:
    incident_id = declared(tocsin, clock)
    with tocsin.database.transaction() as session:
        incident = records.find(session, str(incident_id), lock=True)
        notes.add_note(
            session,
            incident,
            "the first was wrong",
            "observation",
            Actor("ada"),
            clock.now(),
            corrects=2,
        )
    assert [row[0] for row in stored(tocsin, incident_id)] == [1, 2, 3]


def test_incidents_cannot_be_deleted_from_under_their_timeline(
    tocsin: Tocsin, clock: FakeClock
) -> None:
    incident_id = declared(tocsin, clock)
    with pytest.raises(IntegrityError), tocsin.database.transaction() as session:
        session.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": incident_id})
    assert len(stored(tocsin, incident_id)) == 2
