"""What the incident's speakers do besides posting updates: no-update updates, summaries.

- A no-update update is a public update drafted from the ``no_update``
  template ("We are still investigating...; we will post an update by
  10:35"), posted in one call with the public incident's current status. Like
  any update it moves the cadence's deadline.
- The post-resolution summary (what happened, how it was fixed, what we will
  do to prevent it) is drafted from the ``post_resolution_summary`` template,
  which sees the internal context (timeline, severity, duration, components),
  edited by the Communications Lead and approved by them (else by the
  Incident Commander or an admin, as for public updates) once the incident is
  resolved. The approved text is kept on the incident's timeline, once: a
  second approval is refused. Approving sends it to the service's customers
  (:mod:`tocsin.statuspage.customers`); a draft that still holds the
  ``[To be written`` marker of the built-in template is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.db.audit import record
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.refusals import Conflict, Forbidden, Invalid
from tocsin.domain.roles import Role
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.incidents import recorder, records
from tocsin.incidents.editing import Actor
from tocsin.incidents.tables import Incident
from tocsin.statuspage import customers, drafting, publishing
from tocsin.statuspage.config_schema import TemplateName
from tocsin.statuspage.tables import PublicIncident, PublicUpdate

#: The timeline entry detail that marks the approved summary.
SUMMARY_MARK = "post_resolution_summary"
SUMMARY_LIMIT = 20_000
_SUMMARY_HEADING = "Post-resolution summary approved:\n\n"


def post_no_update(
    session: Session, public: PublicIncident, actor: Actor, now: datetime, *, notify: bool = True
) -> PublicUpdate:
    """Post the ``no_update`` template's text as an update, keeping the current status."""
    if public.kind != "incident" or public.incident_id is None:
        raise Conflict("no-update updates are for published Tocsin incidents")
    if public.status in publishing.FINISHED:
        raise Conflict(f"the public incident is {public.status}: there is no update to promise")
    incident = records.find(session, str(public.incident_id), lock=True)
    publishing.check_speaker(session, incident, actor)
    body = drafting.draft(session, TemplateName.NO_UPDATE, drafting.Subject(incident, public), now)
    draft = publishing.UpdateDraft(status=public.status, body=body, notify=notify)
    return publishing.post_update(session, public, draft, actor, now)


@dataclass(frozen=True)
class Approved:
    text: str
    by: str
    at: datetime


def approved(session: Session, incident_id: int) -> Approved | None:
    """The incident's approved post-resolution summary, if there is one."""
    for entry in records.timeline(session, incident_id):
        if entry.details.get("statuspage") == SUMMARY_MARK:
            text = entry.text.removeprefix(_SUMMARY_HEADING)
            return Approved(text, entry.author or "", entry.recorded_at)
    return None


def check_approver(session: Session, incident: Incident, actor: Actor) -> None:
    """The Communications Lead approves (or an admin); without one, the public speakers."""
    leads = {
        row.user_name
        for row in records.role_rows(session, incident.id)
        if row.role == Role.COMMUNICATIONS_LEAD
    }
    if leads and not actor.is_admin and actor.name not in leads:
        names = ", ".join(sorted(leads))
        raise Forbidden(f"only the Communications Lead ({names}) or an admin approves the summary")
    publishing.check_speaker(session, incident, actor)


def approve(
    session: Session, incident: Incident, text: str, actor: Actor, now: datetime
) -> list[str]:
    """Approve the edited summary, keep it on the timeline, send it to customers.

    The caller holds the incident's lock. Returns the customers it is sent to.
    """
    check_approver(session, incident, actor)
    if incident.status in OPEN_STATUSES:
        raise Conflict(f"{incident.reference} is {incident.status}: summarise it once resolved")
    if approved(session, incident.id) is not None:
        raise Conflict(f"the summary of {incident.reference} was already approved and sent")
    body = text.strip()
    if not body:
        raise Invalid("text", "must not be empty")
    if len(body) > SUMMARY_LIMIT:
        raise Invalid("text", f"must be at most {SUMMARY_LIMIT} characters, got {len(body)}")
    if drafting.TO_BE_WRITTEN in body:
        raise Invalid("text", f"still has a {drafting.TO_BE_WRITTEN}...] part: write it first")
    recorder.append(
        session,
        incident.id,
        EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.DECISION,
            text=_SUMMARY_HEADING + body,
            author=actor.name,
            details={"statuspage": SUMMARY_MARK},
        ),
        now,
    )
    public = publishing.for_incident(session, incident.id)
    sent = []
    if public is not None:
        sent = customers.notify(
            session,
            incident,
            public,
            event=customers.SUMMARY,
            key="summary",
            now=now,
            summary=body,
        )
    record(
        session,
        at=now,
        actor=actor.name,
        action="status_page.summary.approve",
        object_type="incident",
        object_key=incident.reference,
        detail={"customers": len(sent)},
        remote_addr=actor.remote_addr,
    )
    return sent
