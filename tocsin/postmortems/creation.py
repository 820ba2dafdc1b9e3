"""Creating a postmortem: when a required incident resolves, or when someone asks for one.

A postmortem is drafted from what Tocsin knows (:mod:`tocsin.postmortems.facts`,
:func:`tocsin.domain.postmortem_draft.draft`) with the settings' template (or
the one asked for), is owned by the Incident Commander (else whoever declared
the incident, if they are a user), and is due ``due_hours`` after the incident
resolved. Creating it is its first version and plans its owner's reminders;
when the incident's alerts carried runbook links, an "update the runbook"
action item is proposed for each (:mod:`tocsin.postmortems.runbook_proposals`).

An incident resolving queues ``incident.changed``; the composition root runs
:func:`follow_incident` in that job's transaction, which creates the
postmortem when the incident's severity requires one (drills never do). An
incident reopened and resolved again keeps the postmortem it has.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import find_user
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.postmortem_draft import draft
from tocsin.domain.refusals import Conflict, NotFound
from tocsin.domain.roles import Role
from tocsin.incidents import records
from tocsin.incidents.changes import IncidentChanged
from tocsin.incidents.tables import Incident
from tocsin.postmortems import configured, facts, reminders, runbook_proposals, versions
from tocsin.postmortems.tables import DRAFT, Postmortem

AUTHOR = "tocsin"


def default_owner(session: Session, incident: Incident) -> str | None:
    """The Incident Commander; else whoever declared the incident, if they are a user."""
    commander = records.roster(session, incident.id).holder(Role.INCIDENT_COMMANDER)
    if commander is not None:
        return commander
    return incident.created_by if find_user(session, incident.created_by) else None


def create(
    session: Session,
    incident: Incident,
    *,
    author: str,
    now: datetime,
    required: bool,
    template: str | None = None,
    owner: str | None = None,
) -> Postmortem:
    """Draft the postmortem of ``incident`` (locked by the caller); 409 if it has one."""
    if incident.status in OPEN_STATUSES:
        raise Conflict(
            f"{incident.reference} is {incident.status}; its postmortem is drafted once it is "
            "resolved"
        )
    existing = session.scalar(select(Postmortem.id).where(Postmortem.incident_id == incident.id))
    if existing is not None:
        raise Conflict(f"{incident.reference} already has a postmortem: PM-{existing}")
    settings = configured.settings(session)
    name = template if template is not None else settings.template
    model = configured.template(session, name) if name is not None else None
    content = draft(facts.gather(session, incident), configured.sections(model))
    resolved = incident.resolved_at or now
    postmortem = Postmortem(
        incident_id=incident.id,
        status=DRAFT,
        required=required,
        template=name,
        owner=owner if owner is not None else default_owner(session, incident),
        due_at=resolved + timedelta(hours=settings.due_hours),
        version=0,
        content=content,
        created_at=now,
        created_by=author,
        updated_at=now,
    )
    session.add(postmortem)
    session.flush()
    versions.record(
        session,
        postmortem,
        author=author,
        action="drafted",
        said=f"drafted from the timeline, owned by {postmortem.owner or 'nobody'}",
        now=now,
    )
    reminders.plan(session, postmortem, now)
    runbook_proposals.propose(session, postmortem, incident.reference, now=now)
    return postmortem


def follow_incident(session: Session, changed: IncidentChanged, now: datetime) -> None:
    """The postmortems' part of ``incident.changed``: a required incident resolved."""
    if changed.change != "resolved":
        return
    try:
        incident = records.find(session, str(changed.incident_id), lock=True)
    except NotFound:
        return
    if incident.drill or incident.status in OPEN_STATUSES:
        return
    if not configured.required(configured.settings(session), incident.severity):
        return
    if session.scalar(select(Postmortem.id).where(Postmortem.incident_id == incident.id)):
        return
    create(session, incident, author=AUTHOR, now=now, required=True)
