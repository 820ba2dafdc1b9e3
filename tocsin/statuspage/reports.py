"""Internal reports: the severity's escalation audience kept informed on its own cadence.

Paging tells a level's audience (the VP of Engineering for SEV-1, the
Engineering Manager for SEV-2...) once, when the incident reaches the level
(:mod:`tocsin.paging.notices`). From then on they get an internal report, from
the ``internal_report`` template (more detailed than the public update: the
internal title and summary, role holders, services, the latest timeline
entries, whether the public update is overdue), every ``communication``
interval of the incident's current severity, counted from the last internal
report (else from the declaration), while the incident is open (triage,
responding, mitigated).

The cadence starts with the incident's first public update (publishing), and
whenever someone sends a report by hand (``POST
/api/v1/status-page/internal-reports/{reference}``), which also moves the next
one an interval later; a severity change or a reopening replans it
(:func:`tocsin.statuspage.communications.follow_incident`). Each report is one
``communications.message`` per person, keyed by incident, time and person, and one
timeline entry (the last of which is where the next deadline is counted
from). A ``communications.internal_report`` job is keyed by the time it is due,
so starting the cadence twice plans one job, and a job that finds a newer
report waits for the new deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.refusals import Conflict, NotFound
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.incidents import configured, recorder, records
from tocsin.incidents.tables import Incident
from tocsin.paging.notices import audience
from tocsin.statuspage import cadence, drafting, messages
from tocsin.statuspage.config_schema import TemplateName

#: The timeline entry detail that marks an internal report.
MARK = "internal_report"


@dataclass(frozen=True)
class ReportDue:
    incident_id: int


INTERNAL_REPORT = JobKind("communications.internal_report", ReportDue)


def last_report_at(session: Session, incident_id: int) -> datetime | None:
    """When the incident's last internal report went out (from its timeline)."""
    sent = [
        entry.recorded_at
        for entry in records.timeline(session, incident_id)
        if entry.details.get("statuspage") == MARK
    ]
    return max(sent, default=None)


def next_report_due(session: Session, incident: Incident) -> datetime | None:
    """The next internal report's deadline; None when the incident is over or has no audience."""
    level = configured.scale(session).get(incident.severity)
    if incident.status not in OPEN_STATUSES or level is None or not level.escalation.roles:
        return None
    base = last_report_at(session, incident.id) or incident.declared_at
    return base + level.communication.every


def start(session: Session, incident: Incident, now: datetime) -> None:
    """Plan the next internal report (idempotent: one job per deadline)."""
    due = next_report_due(session, incident)
    if due is not None:
        jobs.enqueue(
            session,
            INTERNAL_REPORT,
            ReportDue(incident.id),
            now=now,
            run_at=max(due, now),
            idempotency_key=f"{INTERNAL_REPORT.name}:{incident.id}:{due.isoformat()}",
        )


def send(session: Session, incident: Incident, now: datetime, *, by: str) -> dict[str, list[str]]:
    """Send the internal report now to the severity's audience; note it on the timeline.

    The caller holds the incident's lock. Returns the people of each audience role.
    """
    level = configured.scale(session).get(incident.severity)
    if level is None or not level.escalation.roles:
        raise Conflict(f"{incident.severity} has no escalation audience to report to")
    people = audience(session, level.escalation.roles, records.services(session, incident.id))
    subject = drafting.subject_of(session, incident)
    body, failure = drafting.draft_or_default(session, TemplateName.INTERNAL_REPORT, subject, now)
    names = sorted({name for group in people.values() for name in group})
    for name in names:
        outgoing = messages.Outgoing(
            subject=f"[Tocsin] {incident.reference} ({incident.severity}) report: {incident.title}",
            body=body,
            event=messages.INTERNAL_REPORT,
            incident=incident.reference,
            user=name,
        )
        key = f"internal_report:{incident.id}:{now.isoformat()}:{name}"
        messages.queue(session, outgoing, key=key, now=now)
    told = "; ".join(
        f"{role.replace('_', ' ')}: {', '.join(group) or 'nobody assigned'}"
        for role, group in people.items()
    )
    text = f"Internal report sent ({told})" + (f"; {failure}" if failure else "")
    recorder.append(
        session,
        incident.id,
        EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.ACTION,
            text=text,
            author=by,
            details={"statuspage": MARK},
        ),
        now,
    )
    return people


def report(ctx: JobContext, payload: ReportDue) -> None:
    """The ``communications.internal_report`` job: report if the deadline passed, plan the next."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        try:
            incident = records.find(session, str(payload.incident_id), lock=True)
        except NotFound:
            return
        due = next_report_due(session, incident)
        if due is None:
            return
        if due <= now:
            send(session, incident, now, by=cadence.AUTHOR)
        start(session, incident, now)


def register(registry: HandlerRegistry) -> None:
    registry.register(INTERNAL_REPORT, report)
