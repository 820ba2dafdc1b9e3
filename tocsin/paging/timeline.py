"""What an escalation says it did: events on its own timeline, and on its subject's.

Every event goes on the run's own timeline (``escalation_events``). Unless
told otherwise, it also goes on its subject's record: the incident's
timeline when the run has an incident, and the alert group's history (an
``escalation`` event) when the run escalates an alert group. Delivery details
(each notification sent, each fallback) stay on the run's own timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.alerts import history
from tocsin.domain.refusals import NotFound
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.incidents import recorder, records
from tocsin.paging import statements
from tocsin.paging.statements import Run
from tocsin.paging.tables import ALERT_GROUP

#: Author of the timeline entries paging writes.
AUTHOR = "tocsin"


def record(
    session: Session,
    run: Run,
    now: datetime,
    kind: str,
    text: str,
    *,
    on_incident: bool = True,
    **details: str,
) -> None:
    """An event on the run's timeline, and, unless ``on_incident`` is False, on its subject's."""
    statements.insert_event(session, run.id, now, kind, text, details)
    if not on_incident:
        return
    # Alert groups are never deleted, so the run's group exists.
    if run.subject_type == ALERT_GROUP and run.subject_key.isdecimal():
        detail: dict[str, Any] = {**details, "escalation": kind, "escalation_run": str(run.id)}
        history.record(
            session,
            now,
            "escalation",
            details.get("by", AUTHOR),
            f"Escalation {run.id}: {text}",
            group_id=int(run.subject_key),
            **detail,
        )
    if run.incident_id is not None:
        try:
            records.find(session, str(run.incident_id), lock=True)
        except NotFound:
            return
        draft = EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.ACTION,
            text=f"Paging: {text}",
            author=AUTHOR,
            details={"paging": kind, "escalation_run": str(run.id), **details},
        )
        recorder.append(session, run.incident_id, draft, now)


def record_delivery(
    session: Session, run_id: int, now: datetime, kind: str, text: str, **details: str
) -> None:
    """A delivery detail (a message sent) on the run's own timeline only.

    What :func:`record` writes with ``on_incident=False``, without the run
    loaded: a delivery writes one for every message it sends.
    """
    statements.insert_event(session, run_id, now, kind, text, details)


@contextmanager
def deferring(session: Session) -> Iterator[None]:
    """Insert the escalation events (and alert group history) written in this block at its end.

    A step writes several events; gathered, they are one statement per
    table. Nothing in the block may read the events it wrote.
    """
    with statements.deferring_events(session), history.deferring(session):
        yield
