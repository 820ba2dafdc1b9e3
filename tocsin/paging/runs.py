"""Escalation runs: start, acknowledge, resolve, re-assign, escalate now; pages and their events.

Every function works in the caller's transaction and queues its side effects
as jobs in it (step jobs, notification deliveries, the acknowledgement
timeout), so a committed change always has them queued and a rolled-back one
never does. Step jobs carry the run's ``step_token``: anything that
reschedules the run bumps it, and older step jobs then drop themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from tocsin.alerts import history
from tocsin.auth.tables import User
from tocsin.config import known_names
from tocsin.db import prepared
from tocsin.db.prepared import Rows, binds, prepare
from tocsin.domain.escalation import Policy, Urgency
from tocsin.domain.notification_rules import ContactMethod, plan_notifications
from tocsin.domain.refusals import NotFound
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind
from tocsin.engine import jobs
from tocsin.incidents import recorder, records
from tocsin.paging import tables as store
from tocsin.paging.config_schema import ESCALATION_POLICY_KIND
from tocsin.paging.directory import Directory, contact_methods
from tocsin.paging.tables import EscalationEvent, EscalationRun, Notification, Page

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


# Statements of the paging hot path, built once (building and cache-keying a
# statement on every call costs more than running it).
_OPEN_RUN = select(EscalationRun).where(
    EscalationRun.subject_type == bindparam("subject_type"),
    EscalationRun.subject_key == bindparam("subject_key"),
    EscalationRun.state.in_(store.OPEN_STATES),
)
_LOCK_RUN = select(EscalationRun).where(EscalationRun.id == bindparam("run_id")).with_for_update()
_OPEN_PAGES = select(Page).where(Page.run_id == bindparam("run_id"), Page.state == store.PAGE_OPEN)
_PAGES = cast(Table, Page.__table__)
_INSERT_PAGE = (
    insert(_PAGES)
    .values(
        binds(
            _PAGES,
            ("run_id", "user_name", "step_index", "title", "urgency", "state", "created_at"),
        )
    )
    .returning(_PAGES.c.id)
)
_NOTIFICATIONS = cast(Table, Notification.__table__)
_INSERT_NOTIFICATION = (
    insert(_NOTIFICATIONS)
    .values(
        binds(
            _NOTIFICATIONS,
            ("page_id", "user_name", "method_index", "method_type", "due_at", "state", "sent_at"),
        )
    )
    .returning(_NOTIFICATIONS.c.id)
)
_EVENTS = cast(Table, EscalationEvent.__table__)
_INSERT_EVENT = insert(_EVENTS).values(binds(_EVENTS, ("run_id", "at", "kind", "text", "details")))
_RUNS = cast(Table, EscalationRun.__table__)
_ADVANCE = (
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("run_id"))
    .values(
        step_index=bindparam("step_index"),
        next_step_at=bindparam("next_step_at"),
        reached_somebody=bindparam("reached_somebody"),
        updated_at=bindparam("updated_at"),
    )
)
#: Insert a run unless one is open for its subject (the partial unique index's predicate).
_RUN_COLUMNS = (
    "subject_type",
    "subject_key",
    "title",
    "incident_id",
    "service",
    "team",
    "policy_name",
    "policy",
    "urgency",
    "state",
    "step_index",
    "step_token",
    "next_step_at",
    "reached_somebody",
    "started_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "updated_at",
)
_INSERT_RUN = {
    name: dialect_insert(_RUNS)
    .values(binds(_RUNS, _RUN_COLUMNS))
    .on_conflict_do_nothing(
        index_elements=["subject_type", "subject_key"],
        index_where=text("state IN ('active', 'acknowledged')"),
    )
    .returning(_RUNS.c.id)
    for name, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def open_run(session: Session, subject_type: str, subject_key: str) -> EscalationRun | None:
    return session.scalar(_OPEN_RUN, {"subject_type": subject_type, "subject_key": subject_key})


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
    """An event on the run's timeline, and, unless ``on_incident`` is False, on its subject's.

    The subject's record is the incident's timeline when the run has an
    incident, and the alert group's history (an ``escalation`` event) when
    the run escalates an alert group. Delivery details (each notification
    sent, each fallback) stay on the run's own timeline.
    """
    # Core inserts on the connection: a step writes several events, and neither
    # the ORM's unit of work nor a flush of unrelated pending objects is needed.
    _insert_event(session, run.id, now, kind, text, details)
    if not on_incident:
        return
    # "alert_group" is tocsin.paging.subjects.ALERT_GROUP (which imports this module).
    # Alert groups are never deleted, so the run's group exists.
    if run.subject_type == "alert_group" and run.subject_key.isdecimal():
        detail: dict[str, Any] = {**details, "escalation": kind, "escalation_run": str(run.id)}
        history.record(
            session,
            now,
            "escalation",
            details.get("by", AUTHOR),
            f"Escalation {run.id}: {text}",
            group_id=int(run.subject_key),
            **detail,
        )
    if run.incident_id is not None:
        try:
            records.find(session, str(run.incident_id), lock=True)
        except NotFound:
            return
        draft = EntryDraft(
            kind=EntryKind.NOTE,
            note_kind=NoteKind.ACTION,
            text=f"Paging: {text}",
            author=AUTHOR,
            details={"paging": kind, "escalation_run": str(run.id), **details},
        )
        recorder.append(session, run.incident_id, draft, now)


def record_delivery(
    session: Session, run_id: int, now: datetime, kind: str, text: str, **details: str
) -> None:
    """A delivery detail (a message sent) on the run's own timeline only.

    What :func:`record` writes with ``on_incident=False``, as one core
    insert: a delivery writes one for every message it sends, and needs
    neither the run loaded nor the ORM's unit of work for it.
    """
    _insert_event(session, run_id, now, kind, text, details)


class _Events(Rows):
    """Escalation events gathered by :func:`deferring`."""

    statement = _INSERT_EVENT


def _insert_event(
    session: Session, run_id: int, now: datetime, kind: str, text: str, details: dict[str, str]
) -> None:
    row = {"run_id": run_id, "at": now, "kind": kind, "text": text, "details": details}
    waiting = prepared.deferred(session, _Events)
    if waiting is not None:
        waiting.rows.append(row)
        return
    connection = session.connection()
    prepare(connection, _INSERT_EVENT).run(connection, row)


@contextmanager
def deferring(session: Session) -> Iterator[None]:
    """Insert the escalation events (and alert group history) written in this block at its end.

    A step writes several events; gathered, they are one statement per
    table. Nothing in the block may read the events it wrote.
    """
    with prepared.deferring(session, _Events), history.deferring(session):
        yield


def enqueue_step(session: Session, run: EscalationRun, now: datetime, at: datetime) -> None:
    run.next_step_at = at
    _enqueue_step_job(session, run, now, at)


def _enqueue_step_job(session: Session, run: EscalationRun, now: datetime, at: datetime) -> None:
    jobs.enqueue(
        session,
        STEP_JOB,
        {"run_id": run.id, "token": run.step_token, "index": run.step_index},
        now=now,
        run_at=at,
        idempotency_key=f"{STEP_JOB}:{run.id}:{run.step_token}:{run.step_index}",
    )


def advance(
    session: Session,
    run: EscalationRun,
    now: datetime,
    *,
    step_index: int,
    next_step_at: datetime | None,
    reached_somebody: bool,
) -> None:
    """Record that a step ran: the step due next, when (None: no further step), and
    whether the escalation has reached anybody; queue that step's job.

    One core update on the connection rather than the ORM's unit of work,
    which every step would pay for; the loaded object is told the new values
    as committed ones, so it agrees with the row without being flushed again.
    """
    values = {
        "step_index": step_index,
        "next_step_at": next_step_at,
        "reached_somebody": reached_somebody,
        "updated_at": now,
    }
    connection = session.connection()
    prepare(connection, _ADVANCE).run(connection, {"run_id": run.id, **values})
    for name, value in values.items():
        set_committed_value(run, name, value)
    if next_step_at is not None:
        _enqueue_step_job(session, run, now, next_step_at)


#: Takes a run's first step in the transaction that started it (see ``steps.first_step``).
FirstStep = Callable[[Session, EscalationRun, datetime], None]


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
    first_step: FirstStep | None = None,
) -> EscalationRun:
    """Start escalating ``subject`` with the policy as it is now; the open run if there is one.

    ``first_step`` takes the new run's first step in this transaction;
    without it the step is queued as a job due now.

    The run is inserted unless one is open for the subject (the database's
    unique index decides, so concurrent starts cannot both insert), with
    one core statement rather than a savepoint and the ORM's unit of work.
    """
    directory = Directory(session)
    policy = directory.policy(policy_name)
    if policy is None:
        existing = open_run(session, subject_type, subject_key)
        if existing is not None:
            return existing
        raise PagingError(
            known_names.unknown_definition(session, ESCALATION_POLICY_KIND, policy_name)
        )
    values = {
        "subject_type": subject_type,
        "subject_key": subject_key,
        "title": title[:500],
        "incident_id": incident_id,
        "service": service,
        "team": directory.owning_team(service, policy_name),
        "policy_name": policy_name,
        "policy": policy.snapshot(),
        "urgency": urgency.value,
        "state": store.ACTIVE,
        "step_index": 0,
        "step_token": 0,
        "next_step_at": now,
        "reached_somebody": False,
        "started_at": now,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "resolved_at": None,
        "updated_at": now,
    }
    connection = prepared.reading(session)
    row = prepare(connection, _INSERT_RUN[connection.dialect.name]).first(connection, values)
    if row is None:
        # A run is open for this subject (perhaps just opened by another transaction).
        existing = open_run(session, subject_type, subject_key)
        if existing is None:
            raise PagingError(f"escalation of {subject_type} {subject_key} changed; try again")
        return existing
    # The row just written, as the ORM's object, without reading it back.
    run = EscalationRun(id=int(row[0]), **values)
    make_transient_to_detached(run)
    session.add(run)
    record(
        session,
        run,
        now,
        "started",
        f"escalation started with policy {policy_name} ({urgency.value} urgency)",
        policy=policy_name,
    )
    if first_step is not None:
        first_step(session, run, now)
    else:
        enqueue_step(session, run, now, now)
    return run


def lock_run(session: Session, run_id: int) -> EscalationRun | None:
    return session.scalar(_LOCK_RUN, {"run_id": run_id})


def _close_pages(session: Session, run: EscalationRun, now: datetime, acker: str | None) -> None:
    for page in session.scalars(_OPEN_PAGES, {"run_id": run.id}):
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
        raise PagingError(known_names.unknown_user(session, user))
    policy = Policy.from_snapshot(run.policy)
    run.state = store.ACTIVE
    run.acknowledged_at = run.acknowledged_by = None
    run.step_token += 1
    run.updated_at = now
    _close_pages(session, run, now, None)
    record(session, run, now, "reassigned", f"{by} re-assigned to {user}", by=by, user=user)
    page_id = page_person(session, directory, run, user, max(run.step_index - 1, 0), now).page_id
    if run.step_index < policy.total_steps:
        timeout = policy.step(max(run.step_index - 1, 0)).timeout
        enqueue_step(session, run, now, now + timeout)
    page = session.get(Page, page_id)
    assert page is not None
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
    run: EscalationRun,
    person: str,
    step_index: int,
    now: datetime,
    *,
    send_now: SendNow | None = None,
) -> Paged:
    """A page to ``person`` with one notification per contact method their rules pick.

    Returns the page's id, and whether it is dead at once. The page and its
    notifications are written with core statements on the session's
    connection: a step pages at once, and the ORM's unit of work (a flush
    before each statement) would cost more than the inserts. The inserts
    depend on no pending ORM object.
    ``send_now`` may take the notifications due at once (see
    :func:`tocsin.paging.delivery.deliver_with_step`).
    """
    urgency = Urgency(run.urgency)
    connection = session.connection()
    page_id: int = prepare(connection, _INSERT_PAGE).all(
        connection,
        {
            "run_id": run.id,
            "user_name": person,
            "step_index": step_index,
            "title": run.title,
            "urgency": urgency.value,
            "state": store.PAGE_OPEN,
            "created_at": now,
        },
    )[0][0]
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
        f"paged {person} (page #{page_id}): {summary or 'no contact method'}",
        page=str(page_id),
        user=person,
    )
    if not planned:
        why = "the user does not exist" if user is None else "the user has no contact method"
        page = session.get(Page, page_id)
        assert page is not None
        bury(session, page, run, why, now)
        return Paged(page_id, dead=True)
    for item in planned:
        if send_now is not None and item.at <= now and send_now(page_id, person, item.method):
            continue
        schedule_notification(
            session, page_id, person, item.method.index, item.method.type, item.at, now
        )
    return Paged(page_id, dead=False)


def write_notification(
    session: Session,
    page_id: int,
    user_name: str,
    method_index: int,
    method_type: str,
    due: datetime,
    *,
    sent_at: datetime | None = None,
) -> int:
    """A notification of the page on one contact method; *sending* when ``sent_at`` is given."""
    connection = session.connection()
    notification_id: int = prepare(connection, _INSERT_NOTIFICATION).all(
        connection,
        {
            "page_id": page_id,
            "user_name": user_name,
            "method_index": method_index,
            "method_type": method_type,
            "due_at": due,
            "state": store.NOTIFY_PENDING if sent_at is None else store.NOTIFY_SENDING,
            "sent_at": sent_at,
        },
    )[0][0]
    return notification_id


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
    notification_id = write_notification(
        session, page_id, user_name, method_index, method_type, due
    )
    jobs.enqueue(
        session,
        DELIVER_JOB,
        {"notification_id": notification_id},
        now=now,
        run_at=due,
        idempotency_key=f"{DELIVER_JOB}:{notification_id}",
        max_attempts=DELIVERY_ATTEMPTS,
    )
    return notification_id
