"""Pages: a person asked to respond, their notifications, and pages that can reach nobody.

A step (or a re-assignment) pages a person: one page, with one notification
per contact method the person's rules pick, each due at its own time and
delivered by its own job (:mod:`tocsin.paging.delivery`). A page that can
reach nobody is *dead*, and every admin is alarmed by email (not through
paging, so a broken paging setup cannot loop).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.domain.escalation import Urgency
from tocsin.domain.metric_calendar import after_hours_in
from tocsin.domain.notification_rules import ContactMethod, plan_notifications
from tocsin.engine import jobs as queue
from tocsin.paging import jobs, statements
from tocsin.paging.directory import Directory, contact_methods
from tocsin.paging.statements import Run
from tocsin.paging.timeline import record

#: Hands a notification due now to delivery at once: (page id, person, contact method)
#: -> whether it did; if not, the notification is scheduled as a delivery job.
SendNow = Callable[[int, str, ContactMethod], bool]


class Paged(NamedTuple):
    page_id: int
    #: Dead at once: the person does not exist or has no contact method.
    dead: bool


def page_person(
    session: Session,
    directory: Directory,
    run: Run,
    person: str,
    step_index: int,
    now: datetime,
    *,
    send_now: SendNow | None = None,
) -> Paged:
    """A page to ``person`` with one notification per contact method their rules pick.

    Returns the page's id, and whether it is dead at once. ``send_now`` may
    take the notifications due at once (see
    :func:`tocsin.paging.delivery.deliver_with_step`).
    """
    urgency = Urgency(run.urgency)
    user = directory.user(person)
    late = after_hours_in(now, user.time_zone if user is not None else None)
    page_id = statements.insert_page(
        session, run, person, step_index, urgency.value, now, after_hours=late
    )
    methods = contact_methods(user) if user is not None else []
    planned = plan_notifications(directory.rules(user) if user else None, methods, urgency, now)
    summary = ", ".join(
        f"{item.method.type} at +{int((item.at - now).total_seconds() // 60)} min"
        for item in planned
    )
    record(
        session,
        run,
        now,
        "paged",
        f"paged {person} (page #{page_id}): {summary or 'no contact method'}",
        page=str(page_id),
        user=person,
    )
    if not planned:
        why = "the user does not exist" if user is None else "the user has no contact method"
        bury(session, run, page_id, person, run.title, why, now)
        return Paged(page_id, dead=True)
    for item in planned:
        if send_now is not None and item.at <= now and send_now(page_id, person, item.method):
            continue
        schedule_notification(
            session, page_id, person, item.method.index, item.method.type, item.at, now
        )
    return Paged(page_id, dead=False)


def schedule_notification(
    session: Session,
    page_id: int,
    user_name: str,
    method_index: int,
    method_type: str,
    due: datetime,
    now: datetime,
) -> int:
    """A notification of the page on one contact method, and its delivery job; returns its id."""
    notification_id = statements.insert_notification(
        session, page_id, user_name, method_index, method_type, due
    )
    queue.enqueue(
        session,
        jobs.DELIVER,
        jobs.NotificationDue(notification_id),
        now=now,
        run_at=due,
        idempotency_key=jobs.delivery_key(notification_id),
        max_attempts=jobs.DELIVERY_ATTEMPTS,
    )
    return notification_id


def bury(
    session: Session,
    run: Run,
    page_id: int,
    person: str,
    title: str,
    reason: str,
    now: datetime,
) -> None:
    """Mark a page dead and alarm every admin by email."""
    statements.bury_page(session, page_id, reason)
    record(
        session,
        run,
        now,
        "page_dead",
        f"page #{page_id} to {person} could not be delivered: {reason}",
        page=str(page_id),
    )
    alarm(
        session,
        f"page:{page_id}",
        f"[Tocsin] Dead page #{page_id} to {person}",
        f"Tocsin could not deliver page #{page_id} ({title}) to {person}: "
        f"{reason}.\nEscalation {run.id} ({run.policy_name}) goes on; check the person's "
        "contact methods and the delivery settings.",
        now,
    )


def admins(session: Session) -> Sequence[User]:
    return session.scalars(select(User).where(User.role == "admin").order_by(User.name)).all()


def alarm(session: Session, key: str, subject: str, body: str, now: datetime) -> None:
    """Email every admin that paging lost something; once per ``key`` and admin."""
    for admin in admins(session):
        if admin.email:
            queue.enqueue(
                session,
                jobs.ALARM,
                jobs.Alarm(to=admin.email, subject=subject, body=body, key=key),
                now=now,
                idempotency_key=f"{jobs.ALARM.name}:{key}:{admin.name}",
            )
