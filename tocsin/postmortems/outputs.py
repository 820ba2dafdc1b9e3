"""Postmortems as the API answers them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.postmortem_draft import why_key
from tocsin.incidents.tables import Incident
from tocsin.postmortems import facts
from tocsin.postmortems.schemas import CandidateOut, ChangeOut, PostmortemOut, VersionOut
from tocsin.postmortems.tables import CLOSED, PUBLISHED, Postmortem, PostmortemVersion


def overdue(postmortem: Postmortem, now: datetime) -> bool:
    """Not yet published and past its due date."""
    return postmortem.status not in (PUBLISHED, CLOSED) and now > postmortem.due_at


def postmortem_out(session: Session, postmortem: Postmortem, now: datetime) -> PostmortemOut:
    incident = session.get(Incident, postmortem.incident_id)
    return PostmortemOut(
        reference=postmortem.reference,
        incident=incident.reference if incident is not None else f"INC-{postmortem.incident_id}",
        status=postmortem.status,
        required=postmortem.required,
        template=postmortem.template,
        owner=postmortem.owner,
        due_at=postmortem.due_at,
        overdue=overdue(postmortem, now),
        version=postmortem.version,
        created_at=postmortem.created_at,
        created_by=postmortem.created_by,
        updated_at=postmortem.updated_at,
        document=postmortem.content,
    )


def candidates(session: Session, postmortem: Postmortem) -> list[CandidateOut]:
    """Every entry of the incident's timeline, marked when the document's timeline has it."""
    chosen = {item.get("sequence") for item in postmortem.content.get("timeline", [])}
    return [
        CandidateOut(
            sequence=entry.sequence,
            at=entry.occurred_at,
            kind=entry.note_kind.value if entry.note_kind else entry.kind.value,
            text=entry.text,
            author=entry.author,
            selected=entry.sequence in chosen,
            key=why_key(entry),
        )
        for entry in facts.timeline(session, postmortem.incident_id)
    ]


def version_out(version: PostmortemVersion) -> VersionOut:
    return VersionOut(
        version=version.version,
        at=version.at,
        author=version.author,
        action=version.action,
        comment=version.comment,
        changes=[ChangeOut(**change) for change in version.changes],
    )
