"""Internal reports: the severity's escalation audience kept informed on its own cadence.

Paging tells a level's audience (the VP of Engineering for SEV-1, the
Engineering Manager for SEV-2...) once, when the incident reaches the level
(:mod:`tocsin.paging.notices`). From then on they get an internal report, from
the ``internal_report`` template (more detailed than the public update: the
internal title and summary, role holders, services, the latest timeline
entries, whether the public update is overdue), every ``communication``
interval of the incident's current severity, while the incident is open
(triage, responding, mitigated) and its level names an audience
(:func:`tocsin.statuspage.cadence.report_interval`).

The cadence starts when the incident is declared (``incident.changed``,
:func:`tocsin.statuspage.communications.follow_incident`): the first report is
due an interval after the declaration, each next one an interval after the
last report. Sending one by hand (``POST
/api/v1/status-page/internal-reports/{reference}``) moves the next one an
interval later; a severity change replans it at the new level's interval.
When the incident is resolved, the audience gets one **final report** (the
same template, which then says it is resolved, when, and after how long) and
nothing more is planned; a reopening restarts the cadence, counted from the
reopening. Drills are reported on like real incidents, as paging's notices
tell their audience (a game day exercises the whole path).

Each report is one ``communications.message`` per person, keyed by incident,
time and person (the final one by incident, resolution and person), and one
timeline entry (the last report or reopening is where the next deadline is
counted from; a final report's entry names the resolution it closes, so it is
written once). A ``communications.internal_report`` job is keyed by the time
it is due, so starting the cadence twice plans one job, and a job that finds a
newer report waits for the new deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.lifecycle import OPEN_STATUSES, TransitionKind
from tocsin.domain.refusals import Conflict, NotFound
from tocsin.domain.severity import SeverityLevel
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
#: The detail of a final report's entry: the incident's reopen count when it was resolved.
FINAL = "final"
#: The lifecycle transition of a reopening (:class:`tocsin.domain.lifecycle.TransitionKind`).
REOPEN = TransitionKind.REOPEN.value


@dataclass(frozen=True)
class ReportDue:
    incident_id: int


INTERNAL_REPORT = JobKind("communications.internal_report", ReportDue)


def _counted_from(session: Session, incident: Incident) -> datetime:
    """Where the next report's interval starts: the last report, reopening or declaration."""
    times = [incident.declared_at]
    for entry in records.timeline(session, incident.id):
        reopened = (
            entry.kind is EntryKind.STATUS_CHANGE and entry.details.get("transition") == REOPEN
        )
        if reopened or entry.details.get("statuspage") == MARK:
            times.append(entry.recorded_at)
    return max(times)


def next_report_due(session: Session, incident: Incident) -> datetime | None:
    """The next internal report's deadline; None when the incident is over or has no audience."""
    every = cadence.report_interval(session, incident)
    if every is None:
        return None
    return _counted_from(session, incident) + every


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


def _level(session: Session, incident: Incident) -> SeverityLevel | None:
    """The incident's level, when it names an audience to report to."""
    level = configured.scale(session).get(incident.severity)
    return level if level is not None and level.escalation.roles else None


def _send(
    session: Session,
    incident: Incident,
    level: SeverityLevel,
    now: datetime,
    *,
    by: str,
    final: bool,
) -> dict[str, list[str]]:
    people = audience(session, level.escalation.roles, records.services(session, incident.id))
    subject = drafting.subject_of(session, incident)
    body, failure = drafting.draft_or_default(session, TemplateName.INTERNAL_REPORT, subject, now)
    which = "resolved, final report" if final else "report"
    about = f"[Tocsin] {incident.reference} ({incident.severity}) {which}: {incident.title}"
    sent = f"final:{incident.reopen_count}" if final else now.isoformat()
    for name in sorted({name for group in people.values() for name in group}):
        outgoing = messages.Outgoing(
            subject=about,
            body=body,
            event=messages.INTERNAL_REPORT,
            incident=incident.reference,
            user=name,
        )
        messages.queue(
            session, outgoing, key=f"internal_report:{incident.id}:{sent}:{name}", now=now
        )
    told = "; ".join(
        f"{role.replace('_', ' ')}: {', '.join(group) or 'nobody assigned'}"
        for role, group in people.items()
    )
    text = f"{'Final internal' if final else 'Internal'} report sent ({told})"
    details = {"statuspage": MARK} | ({FINAL: str(incident.reopen_count)} if final else {})
    recorder.append(
        session,
        incident.id,
        EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.ACTION,
            text=text + (f"; {failure}" if failure else ""),
            author=by,
            details=details,
        ),
        now,
    )
    return people


def send(session: Session, incident: Incident, now: datetime, *, by: str) -> dict[str, list[str]]:
    """Send the internal report now to the severity's audience; note it on the timeline.

    The caller holds the incident's lock. Returns the people of each audience role.
    """
    level = _level(session, incident)
    if level is None:
        raise Conflict(f"{incident.severity} has no escalation audience to report to")
    return _send(session, incident, level, now, by=by, final=False)


def send_final(session: Session, incident: Incident, now: datetime) -> None:
    """The final report of a resolved incident: once per resolution, none while it is open.

    The caller holds the incident's lock. Nothing is sent when the incident was
    reopened since (the reopening restarted the cadence) or its level has no audience.
    """
    level = _level(session, incident)
    if incident.status in OPEN_STATUSES or level is None:
        return
    resolution = str(incident.reopen_count)
    for entry in records.timeline(session, incident.id):
        if entry.details.get("statuspage") == MARK and entry.details.get(FINAL) == resolution:
            return
    _send(session, incident, level, now, by=cadence.AUTHOR, final=True)


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
