"""What a draft reads of a long timeline: the database picks the entries that may be key."""

from __future__ import annotations

from tests.conftest import Caller
from tests.incidents.support import client_without_engine
from tests.postmortems.support import declare
from tocsin.app.service import Tocsin
from tocsin.domain.postmortem_draft import may_be_key
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.incidents import recorder, records
from tocsin.postmortems import facts

NOTES = [
    (NoteKind.OBSERVATION, {}),
    (NoteKind.ACTION, {"paging": "paged", "escalation_run": "1"}),
    (NoteKind.ACTION, {"paging": "delivered"}),
    (NoteKind.ACTION, {"paging": "acknowledged", "by": "carol"}),
    (NoteKind.DECISION, {}),
    (NoteKind.ACTION, {"statuspage": "reminder"}),
]


def test_the_database_reads_exactly_the_entries_that_may_be_key(
    tocsin: Tocsin, admin: Caller
) -> None:
    with client_without_engine(tocsin) as client:
        reference = declare(client, admin, "SEV-3")
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        for number in range(30):
            note_kind, details = NOTES[number % len(NOTES)]
            draft = EntryDraft(
                kind=EntryKind.NOTE, note_kind=note_kind, text=f"Note {number}", details=details
            )
            recorder.append(session, incident.id, draft, tocsin.clock.now())
        recorder.append(
            session,
            incident.id,
            EntryDraft(
                kind=EntryKind.CORRECTION, note_kind=NoteKind.OBSERVATION, text="Fix", corrects=3
            ),
            tocsin.clock.now(),
        )
    with tocsin.database.sessions() as session:
        everything = facts.timeline(session, incident.id)
        chosen = facts.timeline(session, incident.id, key_only=True)
    assert len(everything) == 32
    assert chosen == [entry for entry in everything if may_be_key(entry)]
    assert 0 < len(chosen) < len(everything)
