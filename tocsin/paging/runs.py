"""Escalation runs: start, acknowledge, resolve, re-assign, escalate now; pages and their events.

Every function works in the caller's transaction and queues its side effects
as jobs in it (step jobs, notification deliveries, the acknowledgement
timeout), so a committed change always has them queued and a rolled-back one
never does. Step jobs carry the run's ``step_token``: anything that
reschedules the run bumps it, and older step jobs then drop themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.domain.escalation import Policy, Urgency
from tocsin.domain.notification_rules import plan_notifications
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine import jobs
from tocsin.incidents import recorder, records
from tocsin.incidents.errors import IncidentNotFound
from tocsin.paging.directory import Directory, contact_methods
from tocsin.store import paging as store
from tocsin.store.paging import EscalationEvent, EscalationRun, Notification, Page
from tocsin.store.tables import User

STEP_JOB = "paging.step"
DELIVER_JOB = "paging.deliver"
ACK_TIMEOUT_JOB = "paging.ack_timeout"
ALARM_JOB = "paging.alarm"
#: Author of the timeline entries paging writes.
AUTHOR = "tocsin"
#: Deliveries retry a few times, then fall back to the person's next contact method.
DELIVERY_ATTEMPTS = 3


class PagingError(Exception):
    """A request paging cannot carry out; the message is for people."""


def open_run(session: Session, subject_type: str, subject_key: str) -> EscalationRun | None:
    return session.scalar(
        select(EscalationRun).where(
            EscalationRun.subject_type == subject_type,
            EscalationRun.subject_key == subject_key,
            EscalationRun.state.in_(store.OPEN_STATES),
        )
    )


def record(
    session: Session,
    run: EscalationRun,
    now: datetime,
    kind: str,
    text: str,
    *,
    on_incident: bool = True,
    **details: str,
) -> None:
    """An event on the run's timeline, and on its incident's when it has one."""
    session.add(EscalationEvent(run_id=run.id, at=now, kind=kind, text=text, details=details))
    if on_incident and run.incident_id is not None:
        try:
            records.find(session, str(run.incident_id), lock=True)
        except IncidentNotFound:
            return
        draft = EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.ACTION,
            text=f"Paging: {text}",
            author=AUTHOR,
            details={"paging": kind, "escalation_run": str(run.id), **details},
        )
        recorder.append(session, run.incident_id, draft, now)


def enqueue_step(session: Session, run: EscalationRun, now: datetime, at: datetime) -> None:
    run.next_step_at = at
    jobs.enqueue(
        session,
        STEP_JOB,
        {"run_id": run.id, "token": run.step_token, "index": run.step_index},
        now=now,
        run_at=at,
        idempotency_key=f"{STEP_JOB}:{run.id}:{run.step_token}:{run.step_index}",
    )


def start(
    session: Session,
    *,
    subject_type: str,
    subject_key: str,
    title: str,
    policy_name: str,
    urgency: Urgency,
    now: datetime,
    service: str | None = None,
    incident_id: int | None = None,
) -> EscalationRun:
    """Start escalating ``subject`` with the policy as it is now; the open run if there is one."""
    existing = open_run(session, subject_type, subject_key)
    if existing is not None:
        return existing
    directory = Directory(session)
    policy = directory.policy(policy_name)
    if policy is None:
        raise PagingError(f"no escalation policy named {policy_name!r}")
    run = EscalationRun(
        subject_type=subject_type,
        subject_key=subject_key,
        title=title[:500],
        incident_id=incident_id,
        service=service,
        team=directory.owning_team(service, policy_name),
        policy_name=policy_name,
        policy=policy.snapshot(),
        urgency=urgency.value,
        state=store.ACTIVE,
        step_index=0,
        step_token=0,
        reached_somebody=False,
        started_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        # Another transaction opened a run for this subject first: that one escalates.
        concurrent = open_run(session, subject_type, subject_key)
        if concurrent is None:
            raise
        return concurrent
    record(
        session,
        run,
        now,
        "started",
        f"escalation started with policy {policy_name} ({urgency.value} urgency)",
        policy=policy_name,
    )
    enqueue_step(session, run, now, now)
    return run


def lock_run(session: Session, run_id: int) -> EscalationRun | None:
    return session.scalar(select(EscalationRun).where(EscalationRun.id == run_id).with_for_update())


def _close_pages(session: Session, run: EscalationRun, now: datetime, acker: str | None) -> None:
    for page in session.scalars(
        select(Page).where(Page.run_id == run.id, Page.state == store.PAGE_OPEN)
    ):
        if acker is not None and page.user_name == acker:
            page.state, page.acknowledged_at = store.PAGE_ACKNOWLEDGED, now
        else:
            page.state = store.PAGE_CLOSED


def acknowledge(session: Session, run: EscalationRun, by: str, now: datetime) -> bool:
    """Stop the escalation; False when it was not escalating (already acknowledged or resolved)."""
    if run.state != store.ACTIVE:
        return False
    run.state = store.ACKNOWLEDGED
    run.acknowledged_at, run.acknowledged_by = now, by
    run.step_token += 1
    run.next_step_at = None
    run.updated_at = now
    _close_pages(session, run, now, by)
    record(session, run, now, "acknowledged", f"acknowledged by {by}", by=by)
    timeout = Directory(session).paging().acknowledgement_timeout_minutes
    if timeout is not None:
        jobs.enqueue(
            session,
            ACK_TIMEOUT_JOB,
            {"run_id": run.id, "token": run.step_token},
            now=now,
            run_at=now + timedelta(minutes=timeout),
            idempotency_key=f"{ACK_TIMEOUT_JOB}:{run.id}:{run.step_token}",
        )
    return True


def resolve(session: Session, run: EscalationRun, by: str, now: datetime) -> bool:
    """Stop everything: no further step, notification or re-trigger."""
    if run.state not in store.OPEN_STATES:
        return False
    run.state, run.resolved_at = store.RESOLVED, now
    run.step_token += 1
    run.next_step_at = None
    run.updated_at = now
    _close_pages(session, run, now, None)
    record(session, run, now, "resolved", f"resolved by {by}", by=by)
    return True


def retrigger(session: Session, run: EscalationRun, now: datetime, why: str) -> None:
    """Escalate again from the first step (an acknowledgement timed out)."""
    run.state = store.ACTIVE
    run.acknowledged_at = run.acknowledged_by = None
    run.step_token += 1
    run.step_index = 0
    run.reached_somebody = False
    run.updated_at = now
    record(session, run, now, "retriggered", why)
    enqueue_step(session, run, now, now)


def escalate_now(session: Session, run: EscalationRun, by: str, now: datetime) -> None:
    """Run the next step at once instead of waiting for the current step's timeout."""
    if run.state not in store.OPEN_STATES:
        raise PagingError(f"escalation {run.id} is {run.state}; only open escalations escalate")
    policy = Policy.from_snapshot(run.policy)
    if run.step_index >= policy.total_steps:
        raise PagingError(f"escalation {run.id} has no further step: its policy is exhausted")
    run.state = store.ACTIVE
    run.acknowledged_at = run.acknowledged_by = None
    run.step_token += 1
    run.updated_at = now
    record(session, run, now, "escalated", f"{by} escalated to the next step now", by=by)
    enqueue_step(session, run, now, now)


def reassign(session: Session, run: EscalationRun, user: str, by: str, now: datetime) -> Page:
    """Page ``user`` now instead; the policy resumes after the current step's timeout."""
    if run.state not in store.OPEN_STATES:
        raise PagingError(f"escalation {run.id} is {run.state}; only open escalations re-assign")
    directory = Directory(session)
    if directory.user(user) is None:
        raise PagingError(f"no user named {user!r}")
    policy = Policy.from_snapshot(run.policy)
    run.state = store.ACTIVE
    run.acknowledged_at = run.acknowledged_by = None
    run.step_token += 1
    run.updated_at = now
    _close_pages(session, run, now, None)
    record(session, run, now, "reassigned", f"{by} re-assigned to {user}", by=by, user=user)
    page = page_person(session, directory, run, user, max(run.step_index - 1, 0), now)
    if run.step_index < policy.total_steps:
        timeout = policy.step(max(run.step_index - 1, 0)).timeout
        enqueue_step(session, run, now, now + timeout)
    return page


def admins(session: Session) -> Sequence[User]:
    return session.scalars(select(User).where(User.role == "admin").order_by(User.name)).all()


def bury(session: Session, page: Page, run: EscalationRun, reason: str, now: datetime) -> None:
    """Mark a page dead and alarm every admin by email (not through paging, to avoid loops)."""
    page.state, page.dead_reason = store.PAGE_DEAD, reason
    record(
        session,
        run,
        now,
        "page_dead",
        f"page #{page.id} to {page.user_name} could not be delivered: {reason}",
        page=str(page.id),
    )
    alarm(
        session,
        f"page:{page.id}",
        f"[Tocsin] Dead page #{page.id} to {page.user_name}",
        f"Tocsin could not deliver page #{page.id} ({page.title}) to {page.user_name}: "
        f"{reason}.\nEscalation {run.id} ({run.policy_name}) goes on; check the person's "
        "contact methods and the delivery settings.",
        now,
    )


def alarm(session: Session, key: str, subject: str, body: str, now: datetime) -> None:
    """Email every admin that paging lost something; once per ``key`` and admin."""
    for admin in admins(session):
        if admin.email:
            jobs.enqueue(
                session,
                ALARM_JOB,
                {"to": admin.email, "subject": subject, "body": body, "key": key},
                now=now,
                idempotency_key=f"{ALARM_JOB}:{key}:{admin.name}",
            )


def page_person(
    session: Session,
    directory: Directory,
    run: EscalationRun,
    person: str,
    step_index: int,
    now: datetime,
) -> Page:
    """A page to ``person`` with one notification per contact method their rules pick."""
    urgency = Urgency(run.urgency)
    page = Page(
        run_id=run.id,
        user_name=person,
        step_index=step_index,
        title=run.title,
        urgency=urgency.value,
        state=store.PAGE_OPEN,
        created_at=now,
    )
    session.add(page)
    session.flush()
    user = directory.user(person)
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
        f"paged {person} (page #{page.id}): {summary or 'no contact method'}",
        page=str(page.id),
        user=person,
    )
    if not planned:
        why = "the user does not exist" if user is None else "the user has no contact method"
        bury(session, page, run, why, now)
        return page
    for item in planned:
        schedule_notification(session, page, item.method.index, item.method.type, item.at, now)
    return page


def schedule_notification(
    session: Session, page: Page, method_index: int, method_type: str, due: datetime, now: datetime
) -> Notification:
    notification = Notification(
        page_id=page.id,
        user_name=page.user_name,
        method_index=method_index,
        method_type=method_type,
        due_at=due,
        state=store.NOTIFY_PENDING,
    )
    session.add(notification)
    session.flush()
    jobs.enqueue(
        session,
        DELIVER_JOB,
        {"notification_id": notification.id},
        now=now,
        run_at=due,
        idempotency_key=f"{DELIVER_JOB}:{notification.id}",
        max_attempts=DELIVERY_ATTEMPTS,
    )
    return notification
