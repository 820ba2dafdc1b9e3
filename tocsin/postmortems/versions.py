"""Every change to a postmortem is a version, and an entry on its incident's timeline.

:func:`record` numbers the change, stores who made it, when and what it
changed (field by field), and appends a note to the incident's timeline
naming the postmortem, the change and the version, in the caller's
transaction. The caller holds the incident's lock
(:func:`tocsin.postmortems.finding.find` with ``lock=True`` takes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.postmortem_document import Change
from tocsin.domain.refusals import NotFound
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.incidents import recorder
from tocsin.postmortems.tables import Postmortem, PostmortemVersion


def record(
    session: Session,
    postmortem: Postmortem,
    *,
    author: str,
    action: str,
    said: str,
    now: datetime,
    changes: Sequence[Change] = (),
    comment: str | None = None,
) -> PostmortemVersion:
    """Store the change as the next version; ``said`` is how the timeline tells it."""
    postmortem.version += 1
    postmortem.updated_at = now
    version = PostmortemVersion(
        postmortem_id=postmortem.id,
        version=postmortem.version,
        at=now,
        author=author,
        action=action,
        changes=[change.as_data() for change in changes],
        comment=comment,
    )
    session.add(version)
    recorder.append(
        session,
        postmortem.incident_id,
        EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.ACTION,
            text=f"Postmortem {postmortem.reference} {said} (version {postmortem.version})",
            author=author,
            details={
                "postmortem": postmortem.reference,
                "postmortem_action": action,
                "version": str(postmortem.version),
            },
        ),
        now,
    )
    return version


def listing(session: Session, postmortem: Postmortem) -> list[PostmortemVersion]:
    """Every version, oldest first."""
    return list(
        session.scalars(
            select(PostmortemVersion)
            .where(PostmortemVersion.postmortem_id == postmortem.id)
            .order_by(PostmortemVersion.version)
        )
    )


def one(session: Session, postmortem: Postmortem, number: int) -> PostmortemVersion:
    found = session.scalar(
        select(PostmortemVersion).where(
            PostmortemVersion.postmortem_id == postmortem.id, PostmortemVersion.version == number
        )
    )
    if found is None:
        raise NotFound(f"{postmortem.reference} has no version {number}")
    return found


def fields_named(changes: Sequence[Change]) -> str:
    """The changed fields as the timeline names them: "summary, impact.users_affected"."""
    return ", ".join(change.field for change in changes)
