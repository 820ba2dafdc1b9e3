"""Reminding an action item's owner before it is due and, once it is overdue, until it is finished.

With the default settings (``postmortems.action_items``), the owner is
reminded 2 days before the due date (``remind_before_days``), on the day the
item becomes overdue (the day after its due date), then every 7 days
(``remind_overdue_every_days``) while it stays open or in progress; each at
09:00 (``remind_at_hour``) in ``time_zone``. Done and won't do stop them.
Each reminder goes to the owner through their contact methods
(:mod:`tocsin.postmortems.notices`, outbox kind ``communication``) and into
the item's history; an item without an owner or a due date is not reminded.

How (the pattern of :mod:`tocsin.postmortems.reminders`): adding an item, or
changing its due date, owner or status, plans one ``action_items.reminder``
job at the next reminder's time; the job reminds and plans the next. The job
names the due date it was planned for; when it runs and the due date has
changed since, or the item is finished, it does nothing. Its idempotency key
holds the item, the due date and the reminder's time, so planning again what
is already planned adds nothing and each reminder is sent at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tocsin.db import audit
from tocsin.domain.postmortem_workflow import FINISHED, ItemStatus
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.postmortems import configured, notices
from tocsin.postmortems.config_schema import ActionItemsConfig
from tocsin.postmortems.tables import ActionItem

AUTHOR = "tocsin"
#: What a reminder is, in its message's ``data.event``.
REMINDER = "action_item_reminder"
#: The audit log's object type for action items: each item's own history.
OBJECT_TYPE = "action_item"


@dataclass(frozen=True)
class ItemReminderDue:
    """Remind about ``item_id`` at ``at``, unless its due date is no longer ``due``."""

    item_id: int
    due: str
    at: str


REMIND = JobKind("action_items.reminder", ItemReminderDue)


def _on(settings: ActionItemsConfig, day: date) -> datetime:
    """``day`` at the reminder hour, in the settings' time zone, as UTC."""
    local = datetime.combine(day, time(settings.remind_at_hour), ZoneInfo(settings.time_zone))
    return local.astimezone(UTC)


def local_day(settings: ActionItemsConfig, now: datetime) -> date:
    """Today, in the settings' time zone."""
    return now.astimezone(ZoneInfo(settings.time_zone)).date()


def first_reminder(settings: ActionItemsConfig, due: date, now: datetime) -> datetime:
    """When the owner is first reminded of an item due on ``due``, planned at ``now``."""
    if settings.remind_before_days:
        before = _on(settings, due - timedelta(days=settings.remind_before_days))
        if before > now:
            return before
    return next_reminder(settings, due, now)


def next_reminder(settings: ActionItemsConfig, due: date, after: datetime) -> datetime:
    """The first overdue reminder later than ``after``: the day after ``due``, then every N days."""
    every = settings.remind_overdue_every_days
    overdue = due + timedelta(days=1)
    passed = (local_day(settings, after) - overdue).days
    step = max(0, passed // every)
    while _on(settings, overdue + timedelta(days=step * every)) <= after:
        step += 1
    return _on(settings, overdue + timedelta(days=step * every))


def plan(session: Session, item: ActionItem, now: datetime) -> None:
    """Plan the item's next reminder (when it is added, or its due date, owner or status change)."""
    if item.due_date is None or ItemStatus(item.status) in FINISHED:
        return
    settings = configured.settings(session).action_items
    _queue(session, item.id, item.due_date, first_reminder(settings, item.due_date, now), now)


def _queue(session: Session, item_id: int, due_date: date, at: datetime, now: datetime) -> None:
    due, when = due_date.isoformat(), at.astimezone(UTC).isoformat()
    jobs.enqueue(
        session,
        REMIND,
        ItemReminderDue(item_id=item_id, due=due, at=when),
        now=now,
        run_at=max(at, now),
        idempotency_key=f"{REMIND.name}:{item_id}:{due}:{when}",
    )


def state(due: date, today: date) -> str:
    """ "due in 2 days", "due today", "overdue by 1 day"."""
    days = (due - today).days
    if days > 0:
        return f"due in {days} day{'s' if days != 1 else ''}"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"


def _notice(item: ActionItem, owner: str, late: str) -> notices.Notice:
    linked = [
        f"incident INC-{item.incident_id}" if item.incident_id is not None else "",
        f"postmortem PM-{item.postmortem_id}" if item.postmortem_id is not None else "",
    ]
    about = ", ".join(part for part in linked if part)
    return notices.Notice(
        user=owner,
        subject=f"[Tocsin] Action item {item.reference} is {late}",
        body=(
            f"{item.reference} ({item.priority}, {item.type}): {item.description}\n\n"
            f"It is {late}: due on {item.due_date}, {item.status.replace('_', ' ')}"
            f"{f' ({about})' if about else ''}. You are its owner. Mark it done, or won't do "
            f"with a reason, in the console at /action-items/{item.reference}."
        ),
        event=REMINDER,
        action_item=item.reference,
        incident=f"INC-{item.incident_id}" if item.incident_id is not None else "",
        postmortem=f"PM-{item.postmortem_id}" if item.postmortem_id is not None else "",
    )


def remind(ctx: JobContext, payload: ItemReminderDue) -> None:
    """The ``action_items.reminder`` job: remind the owner once, plan the next reminder."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        item = session.get(ActionItem, payload.item_id)
        if item is None or item.due_date is None or ItemStatus(item.status) in FINISHED:
            return
        if item.due_date.isoformat() != payload.due:
            return  # the due date moved; its own reminders were planned then
        settings = configured.settings(session).action_items
        if item.owner is not None:
            late = state(item.due_date, local_day(settings, now))
            key = f"action_item_reminder:{item.id}:{payload.due}:{payload.at}:{item.owner}"
            if notices.queue(session, _notice(item, item.owner, late), key=key, now=now):
                audit.record(
                    session,
                    at=now,
                    actor=AUTHOR,
                    action="reminded",
                    object_type=OBJECT_TYPE,
                    object_key=item.reference,
                    detail={"said": f"{late}: reminded {item.owner} (owner)"},
                )
        at = datetime.fromisoformat(payload.at)
        following = next_reminder(settings, item.due_date, max(at, now))
        _queue(session, item.id, item.due_date, following, now)


def register(registry: HandlerRegistry) -> None:
    registry.register(REMIND, remind)
