"""Appending to an incident's timeline inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain import timeline
from tocsin.domain.refusals import Invalid
from tocsin.domain.timeline import EntryDraft, TimelineEntry, TimelineError
from tocsin.incidents import records
from tocsin.incidents.tables import TimelineRow


def append(session: Session, incident_id: int, draft: EntryDraft, now: datetime) -> TimelineEntry:
    """Validate ``draft`` with the domain rules, number it and store it.

    The caller holds the incident's lock. ``recorded_at`` never goes back
    behind the previous entry, so sequence order and recorded order agree even
    when clocks of several processes disagree slightly. The rules need only
    the last entry (the next number, the earliest ``recorded_at``) and the
    entry a correction names, so only those are read: appending costs the same
    on a timeline of five entries or five thousand.
    """
    entries = _neighbours(session, incident_id, draft.corrects)
    recorded_at = max([now, *(e.recorded_at for e in entries[-1:])])
    try:
        entry = timeline.append(entries, draft, recorded_at)
    except TimelineError as error:
        raise Invalid(error.field, str(error).removeprefix(f"{error.field}: ")) from error
    session.add(
        TimelineRow(
            incident_id=incident_id,
            sequence=entry.sequence,
            kind=entry.kind.value,
            note_kind=entry.note_kind.value if entry.note_kind else None,
            text=entry.text,
            author=entry.author,
            recorded_at=entry.recorded_at,
            occurred_at=entry.occurred_at,
            corrects=entry.corrects,
            details=dict(entry.details),
        )
    )
    session.flush()
    return entry


def _neighbours(session: Session, incident_id: int, corrects: int | None) -> list[TimelineEntry]:
    """The entry ``corrects`` names (if any) and the last entry, in sequence order."""
    of_incident = select(TimelineRow).where(TimelineRow.incident_id == incident_id)
    last = session.scalar(of_incident.order_by(TimelineRow.sequence.desc()).limit(1))
    rows = [last] if last is not None else []
    if corrects is not None and (last is None or last.sequence != corrects):
        named = session.scalar(of_incident.where(TimelineRow.sequence == corrects))
        rows = [named, *rows] if named is not None else rows
    return [records.entry(row) for row in rows]
