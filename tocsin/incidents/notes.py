"""The scribe's notes on the timeline: observations, decisions, actions, and corrections.

A note may be back-dated (``occurred_at``); a correction names the entry it
corrects, which stays as it was: the timeline is append-only. Notes are the
one change a closed incident still takes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.refusals import Invalid
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind, TimelineEntry
from tocsin.incidents.editing import Actor, append, audit
from tocsin.incidents.tables import Incident


def add_note(
    session: Session,
    incident: Incident,
    text: str,
    kind: str,
    actor: Actor,
    now: datetime,
    *,
    occurred_at: datetime | None = None,
    corrects: int | None = None,
) -> TimelineEntry:
    """A scribe note (observation, decision, action), possibly back-dated, or a correction."""
    try:
        note_kind = NoteKind(kind)
    except ValueError as error:
        kinds = ", ".join(k.value for k in NoteKind)
        raise Invalid("kind", f"expected one of {kinds}, got {kind!r}") from error
    entry = append(
        session,
        incident,
        EntryDraft(
            kind=EntryKind.CORRECTION if corrects is not None else EntryKind.NOTE,
            text=text,
            author=actor.name,
            occurred_at=occurred_at,
            note_kind=note_kind,
            corrects=corrects,
        ),
        now,
    )
    audit(
        session,
        incident,
        actor,
        "correction" if corrects is not None else "note",
        now,
        sequence=entry.sequence,
        corrects=corrects,
    )
    return entry
