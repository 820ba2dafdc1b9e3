"""Delivering notifications: rate limits and bundles, attempts, retries, fallback, dead pages.

``paging.deliver`` sends one notification; ``paging.bundle`` sends every
notification held back by a contact method's rate limit as one message.
Both work in three steps:

1. in a transaction holding the person's row (so two workers cannot both
   squeeze past a rate limit), committed before anything is sent, decide:
   drop it (the page was acknowledged), hold it (over the limit), or mark it
   *sending* and issue acknowledge links;
2. send, outside any transaction, through one connection pool per process;
3. record the attempt. A failure is retried with the engine's backoff; a
   permanent failure or the last attempt marks the notification failed and
   falls back to the person's next contact method; when none is left and
   nothing reached the person, the page is dead and admins are alarmed (and
   a step whose pages are all dead moves on: :mod:`tocsin.paging.unreached`).

A worker that dies between 1 and 3 leaves the notification *sending*; the
job's retry sends it again (at least once), with the same delivery id so
receivers that deduplicate can. Both handlers reach the database only through
their job's context, so the engine batches their transactions with other jobs'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Integer, Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.db.prepared import binds, prepare
from tocsin.domain.bundling import (
    PageSummary,
    RateLimit,
    bundle_text,
    limit_for,
    page_text,
)
from tocsin.domain.notification_rules import ContactMethod, fallback
from tocsin.engine import jobs
from tocsin.engine.registry import JobContext, batched
from tocsin.notify import outbox
from tocsin.notify import tables as outbox_store
from tocsin.notify.channels import deliver, provider
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.paging import acks, runs, unreached
from tocsin.paging import tables as store
from tocsin.paging.config_schema import PagingConfig
from tocsin.paging.directory import Directory, contact_methods, parse_contact_methods
from tocsin.paging.subjects import ALERT_GROUP, INCIDENT, synchronise
from tocsin.paging.tables import DeliveryAttempt, EscalationRun, Notification, Page

BUNDLE_JOB = "paging.bundle"
#: The provider of delivery attempts recorded in the outbox.
OUTBOX_PROVIDER = "outbox"


@dataclass(frozen=True)
class Carried:
    """One notification a message carries, with what the message says of its page."""

    notification_id: int
    page_id: int
    run_id: int
    user_name: str
    title: str
    urgency: str


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send and the notifications it carries (the first is the carrier)."""

    method: ContactMethod
    message: Message
    carried: tuple[Carried, ...]

    @property
    def notification_ids(self) -> tuple[int, ...]:
        return tuple(each.notification_id for each in self.carried)


_NOTIFICATIONS = cast(Table, Notification.__table__)
_N = _NOTIFICATIONS.c
_P = cast(Table, Page.__table__).c
_U = cast(Table, User.__table__).c
_R = cast(Table, EscalationRun.__table__).c
#: The subjects an escalation follows (see :mod:`tocsin.paging.subjects`).
_FOLLOWED_SUBJECTS = (ALERT_GROUP, INCIDENT)
# Built once, and core rather than ORM: they run for every delivery, where
# building statements and loading objects would cost more than the queries.
_LOCK_PERSON = select(User).where(User.name == bindparam("name")).with_for_update()
_LOCK_RECIPIENT = (
    select(_U.contact_methods)
    .where(
        _U.name
        == select(_N.user_name).where(_N.id == bindparam("notification_id")).scalar_subquery()
    )
    .with_for_update()
)
_TO_DELIVER = (
    select(
        _N.state,
        _N.user_name,
        _N.method_index,
        _N.method_type,
        _N.page_id,
        _P.state.label("page_state"),
        _P.run_id,
        _P.title,
        _P.urgency,
        _R.subject_type,
    )
    .join_from(_NOTIFICATIONS, cast(Table, Page.__table__), _P.id == _N.page_id)
    .join(cast(Table, EscalationRun.__table__), _R.id == _P.run_id)
    .where(_N.id == bindparam("notification_id"))
)
_PAGE_STATE = select(_P.state).where(_P.id == bindparam("page_id"))
_RUN = select(EscalationRun).where(EscalationRun.id == bindparam("run_id"))
_NTH_LATEST_SENT = (
    select(_N.sent_at)
    .where(
        _N.user_name == bindparam("user"),
        _N.method_index == bindparam("index"),
        _N.sent_at > bindparam("since"),
        _N.sent_at <= bindparam("now"),
        # Not IN (...): an IN list cannot be prepared (see _TRY_LOCK_PERSON).
        or_(_N.state == store.NOTIFY_SENDING, _N.state == store.NOTIFY_SENT),
    )
    .order_by(_N.sent_at.desc())
    .limit(1)
    .offset(bindparam("skip", type_=Integer))
)
#: The person's row, unless another transaction holds it, with the rate limit's answer.
_TRY_LOCK_PERSON = (
    select(_U.id, _NTH_LATEST_SENT.scalar_subquery().label("nth_latest_sent"))
    .where(_U.name == bindparam("user"))
    .with_for_update(of=cast(Table, User.__table__), skip_locked=True)
)
_SET_STATE = (
    update(_NOTIFICATIONS)
    .where(_N.id == bindparam("notification_id"))
    .values(state=bindparam("state"), note=bindparam("note"))
)
_MARK_SENDING = (
    update(_NOTIFICATIONS)
    .where(_N.id == bindparam("notification_id"))
    .values(state=store.NOTIFY_SENDING, sent_at=bindparam("now"))
)
_MARK_SENT = (
    update(_NOTIFICATIONS)
    .where(_N.id == bindparam("notification_id"))
    .values(state=store.NOTIFY_SENT)
)
_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)
_INSERT_ATTEMPT = insert(_ATTEMPTS).values(
    binds(_ATTEMPTS, ("notification_id", "page_id", "at", "provider", "status", "error", "pages"))
)


def _lock_person(session: Session, name: str) -> User | None:
    return session.scalar(_LOCK_PERSON, {"name": name})


def _method(methods: Sequence[ContactMethod], index: int, kind: str) -> ContactMethod | None:
    found = next((m for m in methods if m.index == index), None)
    return found if found is not None and found.type == kind else None


def _next_free(
    reader: Session | Connection, user: str, index: int, now: datetime, limit: RateLimit
) -> datetime | None:
    """None when one more message to this contact method fits its rate limit now.

    Otherwise the instant the window has room again: when the ``count``-th
    latest message sent within the window leaves it (what
    :func:`tocsin.domain.bundling.next_free` computes from the list of send
    times). The database answers with that one time, reading at most
    ``count`` index entries, so neither a storm's history nor a generous
    limit costs a row per message.
    """
    nth: datetime | None = reader.execute(
        _NTH_LATEST_SENT, _window(user, index, now, limit)
    ).scalar()
    return None if nth is None else nth + limit.window


def _window(user: str, index: int, now: datetime, limit: RateLimit) -> dict[str, object]:
    """The parameters of :data:`_NTH_LATEST_SENT`."""
    return {
        "user": user,
        "index": index,
        "since": now - limit.window,
        "now": now,
        "skip": limit.count - 1,
    }


def _message(
    session: Session,
    settings: NotifySettings,
    carried: Sequence[Carried],
    now: datetime,
    valid: timedelta,
) -> Message:
    summaries = []
    items = []
    for each in carried:
        token = acks.issue(session, each.page_id, now, valid)
        url = f"{settings.public_url}/ack/{token}"
        summaries.append(PageSummary(each.page_id, each.title, url))
        items.append(
            {
                "page_id": each.page_id,
                "title": each.title,
                "urgency": each.urgency,
                "escalation_run": each.run_id,
                "ack_url": url,
            }
        )
    text = page_text(summaries[0]) if len(summaries) == 1 else bundle_text(summaries)
    return Message(
        subject=text.subject,
        body=text.body,
        idempotency_key=f"tocsin-notification-{carried[0].notification_id}",
        data={"pages": items},
    )


def _page_state(
    session: Session, run_id: int, subject_type: str, page_id: int, page_state: str, now: datetime
) -> str:
    """The page's state once its escalation caught up with its subject (see ``synchronise``).

    Only alert groups and incidents are followed; an escalation started by
    hand has nothing to catch up with, and its run need not be loaded.
    """
    if subject_type not in _FOLLOWED_SUBJECTS:
        return page_state
    run = session.scalar(_RUN, {"run_id": run_id})
    if run is not None:
        before = run.state
        synchronise(session, run, now)
        if run.state != before:
            # Acknowledged or resolved just now: its pages were closed with it.
            page_state = session.execute(_PAGE_STATE, {"page_id": page_id}).scalar_one()
    return page_state


def _still_wanted(session: Session, notification: Notification, now: datetime) -> bool:
    """False (and the notification skipped) once its page is no longer open."""
    page = session.get(Page, notification.page_id)
    run = session.get(EscalationRun, page.run_id) if page is not None else None
    if run is not None:
        synchronise(session, run, now)
    if page is not None and page.state == store.PAGE_OPEN:
        return True
    notification.state = store.NOTIFY_SKIPPED
    notification.note = f"page {page.state if page else 'gone'} before delivery"
    return False


def _hold(
    session: Session, notification_id: int, user: str, index: int, free: datetime, now: datetime
) -> None:
    session.execute(
        _SET_STATE,
        {
            "notification_id": notification_id,
            "state": store.NOTIFY_HELD,
            "note": f"rate limit: bundled at {free.isoformat()}",
        },
    )
    jobs.enqueue(
        session,
        BUNDLE_JOB,
        {"user": user, "method_index": index},
        now=now,
        run_at=free,
        idempotency_key=f"{BUNDLE_JOB}:{user}:{index}:{free.isoformat()}",
        max_attempts=runs.DELIVERY_ATTEMPTS,
    )


def _prepare_single(
    session: Session,
    settings: NotifySettings,
    config: PagingConfig,
    notification_id: int,
    now: datetime,
) -> Outgoing | None:
    key = {"notification_id": notification_id}
    # The person's row first: the notification is read under that lock, fresh.
    stored_methods = session.execute(_LOCK_RECIPIENT, key).scalar()
    row = session.execute(_TO_DELIVER, key).one_or_none()
    if row is None or row.state not in (store.NOTIFY_PENDING, store.NOTIFY_SENDING):
        return None
    page_state = _page_state(
        session, row.run_id, row.subject_type, row.page_id, row.page_state, now
    )
    if page_state != store.PAGE_OPEN:
        note = f"page {page_state} before delivery"
        session.execute(_SET_STATE, {**key, "state": store.NOTIFY_SKIPPED, "note": note})
        return None
    method = _method(parse_contact_methods(stored_methods), row.method_index, row.method_type)
    if method is None:
        notification = session.get(Notification, notification_id)
        assert notification is not None
        fail_over(session, notification, "the contact method no longer exists", now)
        return None
    if row.state == store.NOTIFY_PENDING:
        limit = limit_for(method.type, config.limits())
        free = _next_free(session, row.user_name, method.index, now, limit)
        if free is not None:
            _hold(session, notification_id, row.user_name, method.index, free, now)
            return None
        session.execute(_MARK_SENDING, {**key, "now": now})
    carried = (
        Carried(notification_id, row.page_id, row.run_id, row.user_name, row.title, row.urgency),
    )
    valid = timedelta(hours=config.ack_link_hours)
    return Outgoing(method, _message(session, settings, carried, now, valid), carried)


def _carried(session: Session, notification: Notification) -> Carried:
    page = session.get(Page, notification.page_id)
    assert page is not None
    return Carried(notification.id, page.id, page.run_id, page.user_name, page.title, page.urgency)


def _prepare_bundle(
    session: Session, settings: NotifySettings, user_name: str, index: int, now: datetime
) -> Outgoing | None:
    user = _lock_person(session, user_name)
    methods = contact_methods(user) if user is not None else []
    of_method = select(Notification).where(
        Notification.user_name == user_name, Notification.method_index == index
    )
    group = list(
        session.scalars(
            of_method.where(
                Notification.state == store.NOTIFY_SENDING,
                Notification.bundled_into.is_not(None),
            ).order_by(Notification.id)
        )
    )
    config = Directory(session).paging()
    if not group:
        held = session.scalars(
            of_method.where(Notification.state == store.NOTIFY_HELD).order_by(Notification.id)
        ).all()
        group = [each for each in held if _still_wanted(session, each, now)]
        if not group:
            return None
        method = _method(methods, index, group[0].method_type)
        if method is None:
            for each in group:
                fail_over(session, each, "the contact method no longer exists", now)
            return None
        limit = limit_for(method.type, config.limits())
        free = _next_free(session, user_name, index, now, limit)
        if free is not None:
            _hold(session, group[0].id, user_name, index, free, now)
            return None
        for each in group:
            each.state, each.bundled_into = store.NOTIFY_SENDING, group[0].id
        group[0].sent_at = now
    method = _method(methods, index, group[0].method_type)
    if method is None:
        for each in group:
            fail_over(session, each, "the contact method no longer exists", now)
        return None
    carried = tuple(_carried(session, each) for each in group)
    valid = timedelta(hours=config.ack_link_hours)
    return Outgoing(method, _message(session, settings, carried, now, valid), carried)


def fail_over(session: Session, notification: Notification, reason: str, now: datetime) -> None:
    """Give up on ``notification``: try the person's next contact method, or bury the page."""
    notification.state, notification.note = store.NOTIFY_FAILED, reason
    page = session.get(Page, notification.page_id)
    # The run before the page (acknowledging locks them in that order); a dead page may move it on.
    run = unreached.lock_run(session, page.run_id) if page is not None else None
    if page is None or run is None or page.state != store.PAGE_OPEN:
        return
    siblings = session.scalars(select(Notification).where(Notification.page_id == page.id)).all()
    user = session.scalar(select(User).where(User.name == page.user_name))
    methods = contact_methods(user) if user is not None else []
    following = fallback(methods, {each.method_index for each in siblings})
    if following is not None:
        runs.record(
            session,
            run,
            now,
            "fallback",
            f"{notification.method_type} to {page.user_name} failed ({reason}); "
            f"falling back to {following.type}",
            on_incident=False,
            page=str(page.id),
        )
        runs.schedule_notification(
            session, page.id, page.user_name, following.index, following.type, now, now
        )
        return
    alive = (store.NOTIFY_PENDING, store.NOTIFY_HELD, store.NOTIFY_SENDING, store.NOTIFY_SENT)
    if not any(each.state in alive for each in siblings if each.id != notification.id):
        runs.bury(session, page, run, f"every contact method failed (last: {reason})", now)
        unreached.move_on(session, run, page, now)


def _attempt(
    session: Session,
    outgoing: Outgoing,
    now: datetime,
    error: DeliveryError | None,
    *,
    outboxed: bool = False,
) -> None:
    carrier = outgoing.carried[0]
    connection = session.connection()
    prepare(connection, _INSERT_ATTEMPT).run(
        connection,
        {
            "notification_id": carrier.notification_id,
            "page_id": carrier.page_id,
            "at": now,
            "provider": OUTBOX_PROVIDER if outboxed else provider(outgoing.method),
            "status": "failed" if error else "sent",
            "error": str(error) if error else None,
            "pages": len(outgoing.carried),
        },
    )


def _send(ctx: JobContext, settings: NotifySettings, outgoing: Outgoing) -> None:
    """Send the message (or, in outbox mode, record it with its success) and record the attempt."""
    now = ctx.clock.now()
    if not settings.outbox:
        try:
            deliver(settings, outgoing.method, outgoing.message, now)
        except DeliveryError as error:
            # The failed attempt stays on record even though the job then fails.
            with ctx.transaction(finish=False) as session:
                _attempt(session, outgoing, now, error)
            if not error.permanent and ctx.job.attempts < ctx.job.max_attempts:
                raise
            with ctx.transaction() as session:
                for notification_id in outgoing.notification_ids:
                    notification = session.get(Notification, notification_id)
                    if notification is not None and notification.state == store.NOTIFY_SENDING:
                        fail_over(session, notification, str(error), now)
            return
    bundled = len(outgoing.carried)
    how = f" by {outgoing.method.describe()}" + (
        f" (one message for {bundled} pages)" if bundled > 1 else ""
    )
    if settings.outbox:
        how += " (recorded in the outbox)"
    with ctx.transaction() as session:
        _attempt(session, outgoing, now, None, outboxed=settings.outbox)
        if settings.outbox:
            outbox.record(
                session,
                kind=outbox_store.PAGE,
                user_name=outgoing.carried[0].user_name,
                method=outgoing.method,
                message=outgoing.message,
                now=now,
            )
        connection = session.connection()
        for each in outgoing.carried:
            prepare(connection, _MARK_SENT).run(
                connection, {"notification_id": each.notification_id}
            )
            runs.record_delivery(
                session,
                each.run_id,
                now,
                "notified",
                f"notified {each.user_name}{how}",
                page=str(each.page_id),
            )


def deliver_with_step(
    ctx: JobContext,
    session: Session,
    settings: NotifySettings,
    config: PagingConfig,
    run: EscalationRun,
    page_id: int,
    person: str,
    method: ContactMethod,
) -> bool:
    """Deliver a notification due now straight from the step that pages.

    In the step's transaction, what :func:`deliver_notification` would do
    first: under the person's row (skipped when another transaction holds it,
    so steps never wait for one another), if the contact method's rate limit
    has room, the notification is written as *sending*, with its acknowledge
    link, and its delivery job as a follow-up of the step: this worker sends
    the message as soon as the step commits, with no round through the queue
    and no second look at the database. Returns False when the notification
    should be scheduled as usual instead (person busy, over the limit).
    """
    now = ctx.clock.now()
    limit = limit_for(method.type, config.limits())
    # One statement for the lock and the rate limit, on the connection:
    # Session.execute() would first flush the step's pending rows (its
    # events), which it does not read.
    connection = session.connection()
    locked = prepare(connection, _TRY_LOCK_PERSON).first(
        connection, _window(person, method.index, now, limit)
    )
    if locked is None or locked[1] is not None:  # (id, nth_latest_sent)
        return False
    notification_id = runs.write_notification(
        session, page_id, person, method.index, method.type, now, sent_at=now
    )
    carried = (Carried(notification_id, page_id, run.id, person, run.title, run.urgency),)
    valid = timedelta(hours=config.ack_link_hours)
    message = _message(session, settings, carried, now, valid)
    return ctx.follow_up(
        session,
        runs.DELIVER_JOB,
        {"notification_id": notification_id},
        idempotency_key=f"{runs.DELIVER_JOB}:{notification_id}",
        max_attempts=runs.DELIVERY_ATTEMPTS,
        memo=Outgoing(method, message, carried),
    )


@batched
def deliver_notification(ctx: JobContext) -> None:
    settings = NotifySettings.from_env()
    outgoing = ctx.memo if isinstance(ctx.memo, Outgoing) else None
    if outgoing is None:
        # Locking the person inside a transaction that holds other jobs' locks
        # (people, runs) could deadlock with another worker doing the same.
        ctx.settle()
        now = ctx.clock.now()
        with ctx.transaction(finish=False) as session:
            config = Directory.shared(ctx.shared, session).paging()
            notification_id = int(ctx.payload["notification_id"])
            outgoing = _prepare_single(session, settings, config, notification_id, now)
    else:
        ctx.settle()  # prepared by its step, which committed; nothing else may be pending
    if outgoing is not None:
        _send(ctx, settings, outgoing)


@batched
def deliver_bundle(ctx: JobContext) -> None:
    settings = NotifySettings.from_env()
    now = ctx.clock.now()
    user, index = str(ctx.payload["user"]), int(ctx.payload["method_index"])
    ctx.settle()  # as in deliver_notification: lock the person holding nothing else
    with ctx.transaction(finish=False) as session:
        outgoing = _prepare_bundle(session, settings, user, index, now)
    if outgoing is not None:
        _send(ctx, settings, outgoing)
