"""Reminding a postmortem's owner before it is due and, once it is overdue, until it is published.

With the default settings (due 48 h after the incident resolved), the owner
is reminded 24 h before it is due (``remind_before_hours``), then every 24 h
after it is due (``remind_overdue_every_hours``), until the postmortem is
published. Each reminder goes to the owner through their contact methods
(:mod:`tocsin.postmortems.notices`) and on the incident's timeline; a
postmortem without an owner gets the timeline entry alone, saying so.

How: creating a postmortem (or changing its due date) plans one
``postmortems.reminder`` job at the next reminder's time; the job reminds and
plans the next. The job names the due date it was planned for; when it runs
and the due date has changed since, or the postmortem is published, it does
nothing. Its idempotency key holds the postmortem, the due date and the
reminder's time, so each reminder is sent at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.domain.postmortem_draft import in_words
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.incidents import recorder, records
from tocsin.postmortems import configured, notices
from tocsin.postmortems.config_schema import PostmortemsConfig
from tocsin.postmortems.tables import CLOSED, PUBLISHED, Postmortem

AUTHOR = "tocsin"
#: What a reminder is, in its message's ``data.event``.
REMINDER = "postmortem_reminder"


@dataclass(frozen=True)
class ReminderDue:
    """Remind about ``postmortem_id`` at ``at``, unless its due date is no longer ``due``."""

    postmortem_id: int
    due: str
    at: str


REMIND = JobKind("postmortems.reminder", ReminderDue)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def first_reminder(settings: PostmortemsConfig, due: datetime, now: datetime) -> datetime:
    """When the owner is first reminded of a postmortem due at ``due``."""
    before = due - timedelta(hours=settings.remind_before_hours)
    if settings.remind_before_hours and before > now:
        return before
    return next_reminder(settings, due, now)


def next_reminder(settings: PostmortemsConfig, due: datetime, after: datetime) -> datetime:
    """The first overdue reminder later than ``after``: due + k intervals, k >= 1."""
    every = timedelta(hours=settings.remind_overdue_every_hours)
    slots = max(1, (after - due) // every + 1)
    return due + slots * every


def plan(session: Session, postmortem: Postmortem, now: datetime) -> None:
    """Plan the next reminder of ``postmortem`` (when it is created or its due date moves)."""
    settings = configured.settings(session)
    _queue(session, postmortem, first_reminder(settings, postmortem.due_at, now), now)


def _queue(session: Session, postmortem: Postmortem, at: datetime, now: datetime) -> None:
    due, when = _iso(postmortem.due_at), _iso(at)
    jobs.enqueue(
        session,
        REMIND,
        ReminderDue(postmortem_id=postmortem.id, due=due, at=when),
        now=now,
        run_at=max(at, now),
        idempotency_key=f"{REMIND.name}:{postmortem.id}:{due}:{when}",
    )


def state(postmortem: Postmortem, now: datetime) -> str:
    """ "due in 1 day", "overdue by 2 hours"."""
    due = postmortem.due_at
    if now < due:
        return f"due in {in_words(due - now)}"
    return f"overdue by {in_words(now - due)}"


def _notice(postmortem: Postmortem, reference: str, owner: str, now: datetime) -> notices.Notice:
    due, late = postmortem.due_at, state(postmortem, now)
    return notices.Notice(
        user=owner,
        subject=f"[Tocsin] Postmortem {postmortem.reference} for {reference} is {late}",
        body=(
            f"The postmortem of {reference} ({postmortem.content.get('title', '')}) is "
            f"{late}: it is due by {due.astimezone(UTC):%Y-%m-%d %H:%M} UTC and is "
            f"{postmortem.status.replace('_', ' ')}. You are its owner. Open it in the "
            f"console at /postmortems/{postmortem.reference}."
        ),
        event=REMINDER,
        postmortem=postmortem.reference,
        incident=reference,
    )


def remind(ctx: JobContext, payload: ReminderDue) -> None:
    """The ``postmortems.reminder`` job: remind the owner once, plan the next reminder."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        postmortem = session.get(Postmortem, payload.postmortem_id)
        if postmortem is None or postmortem.status in (PUBLISHED, CLOSED):
            return
        if _iso(postmortem.due_at) != payload.due:
            return  # the due date moved; its own reminders were planned then
        incident = records.find(session, str(postmortem.incident_id), lock=True)
        at = datetime.fromisoformat(payload.at)
        notice = _notice(postmortem, incident.reference, postmortem.owner or "", now)
        if postmortem.owner is None:
            told = "it has no owner to remind"
        else:
            key = f"reminder:{postmortem.id}:{payload.due}:{payload.at}:{postmortem.owner}"
            notices.queue(session, notice, key=key, now=now)
            told = f"reminded {postmortem.owner} (owner)"
        recorder.append(
            session,
            incident.id,
            EntryDraft(
                kind=EntryKind.NOTE,
                note_kind=NoteKind.ACTION,
                text=f"Postmortem {postmortem.reference} is {state(postmortem, now)}: {told}",
                author=AUTHOR,
                details={"postmortem": postmortem.reference, "postmortem_action": "reminder"},
            ),
            now,
        )
        settings = configured.settings(session)
        _queue(session, postmortem, next_reminder(settings, postmortem.due_at, max(at, now)), now)


def register(registry: HandlerRegistry) -> None:
    registry.register(REMIND, remind)
