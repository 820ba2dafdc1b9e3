"""The public update cadence: a deadline counted from the last public update, and reminders.

Each severity level's ``communication`` ("Every 15 minutes") is how long a
published incident may go without a public update. It is a deadline, not a
timer: it runs from the incident's last public update
(``PublicIncident.last_update_at``), so every update moves it, and it stops
when the public incident is resolved. Levels are read when asked, so a
severity change moves the deadline at once.

When the deadline passes, the incident's Communications Lead (else its
Incident Commander, else whoever posted the last update) is reminded through
their contact methods, then again half an interval later, and again every
half interval after that until an update is posted or the incident is
resolved (SEV-1, updated at 10:05: reminders at 10:20, 10:27:30, 10:35...).
Each reminder goes on the incident's timeline. Its times are in the page's
zone ("was due by 10:20 CET", :func:`tocsin.statuspage.messages.clock_time`).

How: posting an update queues one ``communications.reminder`` job at the
deadline (:func:`schedule`, called by :func:`tocsin.statuspage.publishing.post_update`
in its transaction). The job names the update it follows; when it runs and
a newer update exists, it does nothing, so posting an update clears the
reminders. Its idempotency key holds the update and the time it is due, and
each reminder message's key holds the update, the half-interval slot and the
person, so a reminder is sent at most once per slot. A severity change
(``incident.changed``, :func:`tocsin.statuspage.communications.follow_incident`)
plans a reminder at the new deadline; a job that finds the deadline later than
planned (the severity was lowered) waits for the new one.

The internal reports (:mod:`tocsin.statuspage.reports`) follow the same
level's interval, from the declaration (:func:`report_interval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.refusals import NotFound
from tocsin.domain.roles import Role
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.incidents import configured, recorder, records
from tocsin.incidents.tables import Incident
from tocsin.statuspage import messages
from tocsin.statuspage.tables import PublicIncident, PublicUpdate

#: Public statuses after which nothing more is due (publishing.FINISHED, which imports this).
OVER = frozenset({"resolved", "postmortem", "completed"})
#: Who is reminded, in order: the first role with holders.
REMINDED = (Role.COMMUNICATIONS_LEAD, Role.INCIDENT_COMMANDER)
AUTHOR = "tocsin"


@dataclass(frozen=True)
class ReminderDue:
    """Remind about public incident ``public_id`` unless an update newer than ``update`` exists."""

    public_id: int
    #: The code of the latest public update when the job was queued.
    update: str


REMINDER = JobKind("communications.reminder", ReminderDue)


def interval(session: Session, incident: Incident) -> timedelta | None:
    """The incident's severity's communication interval (None for an unknown level)."""
    level = configured.scale(session).get(incident.severity)
    return level.communication.every if level is not None else None


def report_interval(session: Session, incident: Incident) -> timedelta | None:
    """How often the severity's audience gets an internal report; None when none is due.

    The level's ``communication`` interval, while the incident is open and its
    level names an escalation audience (:mod:`tocsin.statuspage.reports`).
    """
    level = configured.scale(session).get(incident.severity)
    if incident.status not in OPEN_STATUSES or level is None or not level.escalation.roles:
        return None
    return level.communication.every


def _interval_of(session: Session, public: PublicIncident | None) -> timedelta | None:
    """The cadence of a public incident still going on; None when none applies."""
    if public is None or public.kind != "incident" or public.status in OVER:
        return None
    if public.incident_id is None:
        return None
    incident = session.get(Incident, public.incident_id)
    return interval(session, incident) if incident is not None else None


def next_update_due(session: Session, public: PublicIncident | None) -> datetime | None:
    """When the next public update is due: the last one plus the severity's interval."""
    every = _interval_of(session, public)
    if public is None or every is None:
        return None
    return public.last_update_at + every


def overdue(session: Session, public: PublicIncident | None, now: datetime) -> timedelta | None:
    """How late the next public update is ("update overdue by N min"); None when it is not."""
    due = next_update_due(session, public)
    if due is None or now <= due:
        return None
    return now - due


def next_update_after(
    session: Session, about: PublicIncident | Incident, now: datetime
) -> datetime | None:
    """When the next update would be due if one were posted at ``now`` (None: none is)."""
    if isinstance(about, PublicIncident):
        every = _interval_of(session, about)
    elif about.status in OPEN_STATUSES:
        every = interval(session, about)
    else:
        every = None
    return now + every if every is not None else None


def latest(session: Session, public_id: int) -> PublicUpdate | None:
    """The public incident's latest update (by when it happened, then by posting)."""
    return session.scalar(
        select(PublicUpdate)
        .where(PublicUpdate.public_incident_id == public_id)
        .order_by(PublicUpdate.display_at.desc(), PublicUpdate.id.desc())
        .limit(1)
    )


def _plan(
    session: Session, public: PublicIncident, update: str, at: datetime, now: datetime
) -> None:
    jobs.enqueue(
        session,
        REMINDER,
        ReminderDue(public_id=public.id, update=update),
        now=now,
        run_at=max(at, now),
        idempotency_key=f"{REMINDER.name}:{public.id}:{update}:{at.isoformat()}",
    )


def schedule(session: Session, public: PublicIncident, now: datetime) -> None:
    """Plan the reminder of ``public``'s next deadline (after an update, same transaction)."""
    due = next_update_due(session, public)
    last = latest(session, public.id)
    if due is not None and last is not None:
        _plan(session, public, last.code, due, now)


def reminded(session: Session, incident: Incident, last: PublicUpdate) -> list[tuple[str, str]]:
    """Who is reminded, with why: the Communications Lead, else the IC, else the last author."""
    rows = records.role_rows(session, incident.id)
    for role in REMINDED:
        holders = [row.user_name for row in rows if row.role == role]
        if holders:
            words = role.value.replace("_", " ").title()
            return [(name, words) for name in holders]
    return [(last.author, "author of the last update")]


def _message(
    incident: Incident,
    public: PublicIncident,
    due: datetime,
    late: timedelta,
    person: str,
    zone: ZoneInfo,
) -> messages.Outgoing:
    minutes = int(late.total_seconds() // 60)
    last = messages.clock_time(public.last_update_at, zone)
    return messages.Outgoing(
        subject=f"[Tocsin] {incident.reference}: public update overdue by {minutes} min",
        body=(
            f'The public incident "{public.name}" ({incident.reference}, {incident.severity}) '
            f"was last updated at {last}; the next update was due by "
            f"{messages.clock_time(due, zone)}. Post an update, or post a no-update update in "
            f"one call (POST /api/v1/status-page/incidents/{public.code}/no-update)."
        ),
        event=messages.REMINDER,
        incident=incident.reference,
        user=person,
    )


def remind(ctx: JobContext, payload: ReminderDue) -> None:
    """The ``communications.reminder`` job: remind once per half-interval slot, plan the next."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        public = session.get(PublicIncident, payload.public_id)
        last = latest(session, payload.public_id)
        due = next_update_due(session, public)
        if public is None or due is None or last is None or last.code != payload.update:
            return  # resolved, or a newer update cleared it
        every = due - public.last_update_at
        if now < due:
            _plan(session, public, last.code, due, now)
            return
        try:
            incident = records.find(session, str(public.incident_id), lock=True)
        except NotFound:
            return
        slot = (now - due) // (every / 2)
        told = []
        zone = messages.page_zone(session)
        for person, why in reminded(session, incident, last):
            outgoing = _message(incident, public, due, now - due, person, zone)
            key = f"reminder:{public.id}:{last.code}:{slot}:{person}"
            if messages.queue(session, outgoing, key=key, now=now):
                told.append(f"{person} ({why})")
        if told:
            minutes = int((now - due).total_seconds() // 60)
            recorder.append(
                session,
                incident.id,
                EntryDraft(
                    kind=EntryKind.NOTE,
                    note_kind=NoteKind.ACTION,
                    text=f"Public update overdue by {minutes} min: reminded {', '.join(told)}",
                    author=AUTHOR,
                    details={"statuspage": "reminder", "slot": str(slot)},
                ),
                now,
            )
        _plan(session, public, last.code, due + (slot + 1) * (every / 2), now)


def register(registry: HandlerRegistry) -> None:
    registry.register(REMINDER, remind)
