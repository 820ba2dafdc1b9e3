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
   a step whose pages are all dead moves on: :func:`tocsin.paging.runs.move_on`).

A worker that dies between 1 and 3 leaves the notification *sending*; the
job's retry sends it again (at least once), with the same delivery id so
receivers that deduplicate can. Both handlers reach the database only through
their job's context, so the engine batches their transactions with other jobs'.
Each attempt is counted for ``/metrics`` by contact method type: sent once it is
recorded, failed as it fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.domain.bundling import PageSummary, RateLimit, bundle_text, limit_for, page_text
from tocsin.domain.notification_rules import ContactMethod, fallback
from tocsin.engine import jobs as queue
from tocsin.engine.registry import JobContext, batched
from tocsin.notify import outbox
from tocsin.notify import tables as outbox_store
from tocsin.notify.channels import deliver, provider
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.paging import acks, jobs, runs, statements
from tocsin.paging import tables as store
from tocsin.paging.config_schema import PagingConfig
from tocsin.paging.directory import Directory, contact_methods, parse_contact_methods
from tocsin.paging.jobs import BundleDue, NotificationDue
from tocsin.paging.pages import bury, schedule_notification
from tocsin.paging.statements import Run
from tocsin.paging.subjects import synchronise
from tocsin.paging.tables import ALERT_GROUP, INCIDENT, EscalationRun, Notification, Page
from tocsin.paging.timeline import record, record_delivery
from tocsin.telemetry import instruments as telemetry

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


_N = Notification.__table__.c
_P = Page.__table__.c
_R = EscalationRun.__table__.c
_U = User.__table__.c
#: The subjects an escalation follows (see :mod:`tocsin.paging.subjects`).
_FOLLOWED_SUBJECTS = (ALERT_GROUP, INCIDENT)
# Reads built once (they run for every delivery), as core rows: paging writes
# its tables through tocsin.paging.statements, so no ORM object is kept.
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
    .join_from(Notification.__table__, Page.__table__, _P.id == _N.page_id)
    .join(EscalationRun.__table__, _R.id == _P.run_id)
    .where(_N.id == bindparam("notification_id"))
)
_PAGE_STATE = select(_P.state).where(_P.id == bindparam("page_id"))
_OF_METHOD = (
    select(_N.id, _N.page_id, _N.method_index, _N.method_type, _N.state)
    .where(
        _N.user_name == bindparam("user"),
        _N.method_index == bindparam("index"),
        _N.state == bindparam("state"),
    )
    .order_by(_N.id)
)
_BUNDLED = _OF_METHOD.where(_N.bundled_into.is_not(None))
_SIBLINGS = select(_N.id, _N.method_index, _N.state).where(_N.page_id == bindparam("page_id"))
_CARRIED = select(_P.id, _P.run_id, _P.user_name, _P.title, _P.urgency).where(
    _P.id == bindparam("page_id")
)
_LOCK_PERSON = select(_U.contact_methods).where(_U.name == bindparam("name")).with_for_update()


@dataclass(frozen=True)
class Waiting:
    """A notification not sent yet, as delivery reads it."""

    id: int
    page_id: int
    method_index: int
    method_type: str
    state: str


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
    nth = statements.nth_latest_sent(reader, _window(user, index, now, limit))
    return None if nth is None else nth + limit.window


def _window(user: str, index: int, now: datetime, limit: RateLimit) -> dict[str, object]:
    """The rate limit's window, as :mod:`tocsin.paging.statements` asks for it."""
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
    hand has nothing to catch up with, and its run need not be read.
    """
    if subject_type not in _FOLLOWED_SUBJECTS:
        return page_state
    run = statements.find_run(session, run_id)
    if run is not None:
        before = run.state
        synchronise(session, run, now)
        if run.state != before:
            # Acknowledged or resolved just now: its pages were closed with it.
            page_state = session.execute(_PAGE_STATE, {"page_id": page_id}).scalar_one()
    return page_state


def _still_wanted(session: Session, notification: Waiting, now: datetime) -> bool:
    """False (and the notification skipped) once its page is no longer open."""
    page = statements.find_page(session, notification.page_id)
    run = statements.find_run(session, page.run_id) if page is not None else None
    if run is not None:
        synchronise(session, run, now)
        page = statements.find_page(session, notification.page_id)
    if page is not None and page.state == store.PAGE_OPEN:
        return True
    note = f"page {page.state if page else 'gone'} before delivery"
    statements.set_notification_state(session, notification.id, store.NOTIFY_SKIPPED, note)
    return False


def _hold(
    session: Session, notification_id: int, user: str, index: int, free: datetime, now: datetime
) -> None:
    note = f"rate limit: bundled at {free.isoformat()}"
    statements.set_notification_state(session, notification_id, store.NOTIFY_HELD, note)
    queue.enqueue(
        session,
        jobs.BUNDLE,
        BundleDue(user=user, method_index=index),
        now=now,
        run_at=free,
        idempotency_key=f"{jobs.BUNDLE.name}:{user}:{index}:{free.isoformat()}",
        max_attempts=jobs.DELIVERY_ATTEMPTS,
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
        statements.set_notification_state(session, notification_id, store.NOTIFY_SKIPPED, note)
        return None
    method = _method(parse_contact_methods(stored_methods), row.method_index, row.method_type)
    if method is None:
        waiting = Waiting(
            notification_id, row.page_id, row.method_index, row.method_type, row.state
        )
        fail_over(session, waiting, "the contact method no longer exists", now)
        return None
    if row.state == store.NOTIFY_PENDING:
        limit = limit_for(method.type, config.limits())
        free = _next_free(session, row.user_name, method.index, now, limit)
        if free is not None:
            _hold(session, notification_id, row.user_name, method.index, free, now)
            return None
        statements.mark_sending(session, notification_id, now)
    carried = (
        Carried(notification_id, row.page_id, row.run_id, row.user_name, row.title, row.urgency),
    )
    valid = timedelta(hours=config.ack_link_hours)
    return Outgoing(method, _message(session, settings, carried, now, valid), carried)


def _carried(session: Session, notification: Waiting) -> Carried:
    page = session.execute(_CARRIED, {"page_id": notification.page_id}).one()
    return Carried(notification.id, page.id, page.run_id, page.user_name, page.title, page.urgency)


def _waiting(
    session: Session, user: str, index: int, state: str, *, bundled: bool
) -> list[Waiting]:
    """The person's notifications on one contact method in ``state``, oldest first."""
    query = _BUNDLED if bundled else _OF_METHOD
    rows = session.execute(query, {"user": user, "index": index, "state": state})
    return [Waiting(*row) for row in rows]


def _bundle(
    session: Session, user_name: str, index: int, methods: Sequence[ContactMethod], now: datetime
) -> list[Waiting] | None:
    """Gather the held notifications still wanted into one bundle, sending now if the
    rate limit has room; None when there is nothing to send now."""
    held = _waiting(session, user_name, index, store.NOTIFY_HELD, bundled=False)
    group = [each for each in held if _still_wanted(session, each, now)]
    if not group:
        return None
    method = _method(methods, index, group[0].method_type)
    if method is None:
        for each in group:
            fail_over(session, each, "the contact method no longer exists", now)
        return None
    limit = limit_for(method.type, Directory(session).paging().limits())
    free = _next_free(session, user_name, index, now, limit)
    if free is not None:
        _hold(session, group[0].id, user_name, index, free, now)
        return None
    for each in group:
        statements.mark_bundled(session, each.id, group[0].id)
    statements.mark_sending(session, group[0].id, now)
    return group


def _prepare_bundle(
    session: Session, settings: NotifySettings, user_name: str, index: int, now: datetime
) -> Outgoing | None:
    stored_methods = session.execute(_LOCK_PERSON, {"name": user_name}).scalar()
    methods = parse_contact_methods(stored_methods) if stored_methods is not None else []
    # A bundle marked sending by an attempt that then failed is sent again as it was.
    group: list[Waiting] | None = _waiting(
        session, user_name, index, store.NOTIFY_SENDING, bundled=True
    )
    if not group:
        group = _bundle(session, user_name, index, methods, now)
        if group is None:
            return None
    method = _method(methods, index, group[0].method_type)
    if method is None:
        for each in group:
            fail_over(session, each, "the contact method no longer exists", now)
        return None
    carried = tuple(_carried(session, each) for each in group)
    valid = timedelta(hours=Directory(session).paging().ack_link_hours)
    return Outgoing(method, _message(session, settings, carried, now, valid), carried)


def fail_over(session: Session, notification: Waiting, reason: str, now: datetime) -> None:
    """Give up on ``notification``: try the person's next contact method, or bury the page."""
    statements.set_notification_state(session, notification.id, store.NOTIFY_FAILED, reason)
    page = statements.find_page(session, notification.page_id)
    # The run before the page (acknowledging locks them in that order); a dead page may move it on.
    run = statements.lock_run(session, page.run_id) if page is not None else None
    if page is None or run is None or page.state != store.PAGE_OPEN:
        return
    siblings = session.execute(_SIBLINGS, {"page_id": page.id}).all()
    user = session.scalar(select(User).where(User.name == page.user_name))
    methods = contact_methods(user) if user is not None else []
    following = fallback(methods, {each.method_index for each in siblings})
    if following is not None:
        record(
            session,
            run,
            now,
            "fallback",
            f"{notification.method_type} to {page.user_name} failed ({reason}); "
            f"falling back to {following.type}",
            on_incident=False,
            page=str(page.id),
        )
        schedule_notification(
            session, page.id, page.user_name, following.index, following.type, now, now
        )
        return
    alive = (store.NOTIFY_PENDING, store.NOTIFY_HELD, store.NOTIFY_SENDING, store.NOTIFY_SENT)
    if not any(each.state in alive for each in siblings if each.id != notification.id):
        why = f"every contact method failed (last: {reason})"
        bury(session, run, page.id, page.user_name, page.title, why, now)
        runs.move_on(session, run, page.step_index, now)


def _attempt(
    session: Session,
    outgoing: Outgoing,
    now: datetime,
    error: DeliveryError | None,
    *,
    outboxed: bool = False,
) -> None:
    carrier = outgoing.carried[0]
    statements.insert_attempt(
        session,
        notification_id=carrier.notification_id,
        page_id=carrier.page_id,
        at=now,
        provider=OUTBOX_PROVIDER if outboxed else provider(outgoing.method),
        status="failed" if error else "sent",
        error=str(error) if error else None,
        pages=len(outgoing.carried),
    )


def _failed(ctx: JobContext, outgoing: Outgoing, error: DeliveryError, now: datetime) -> None:
    """Record the failed attempt; raise to retry, or fall back once retrying is over."""
    # The failed attempt stays on record even though the job then fails.
    with ctx.transaction(finish=False) as session:
        _attempt(session, outgoing, now, error)
    if not error.permanent and ctx.job.attempts < ctx.job.max_attempts:
        raise error
    with ctx.transaction() as session:
        for each in outgoing.carried:
            row = session.execute(
                select(_N.id, _N.page_id, _N.method_index, _N.method_type, _N.state).where(
                    _N.id == each.notification_id
                )
            ).first()
            if row is not None and row.state == store.NOTIFY_SENDING:
                fail_over(session, Waiting(*row), str(error), now)


def _send(ctx: JobContext, settings: NotifySettings, outgoing: Outgoing) -> None:
    """Send the message (or, in outbox mode, record it with its success) and record the attempt."""
    now = ctx.clock.now()
    channel = outgoing.method.type
    if not settings.outbox:
        try:
            deliver(settings, outgoing.method, outgoing.message, now)
        except DeliveryError as error:
            telemetry.page_delivery(channel, telemetry.FAILED)
            _failed(ctx, outgoing, error, now)
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
        for each in outgoing.carried:
            statements.mark_sent(session, each.notification_id)
            record_delivery(
                session,
                each.run_id,
                now,
                "notified",
                f"notified {each.user_name}{how}",
                page=str(each.page_id),
            )
    telemetry.page_delivery(channel, telemetry.SENT)


def deliver_with_step(
    ctx: JobContext,
    session: Session,
    settings: NotifySettings,
    config: PagingConfig,
    run: Run,
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
    if not statements.try_lock_person(session, _window(person, method.index, now, limit)):
        return False
    notification_id = statements.insert_notification(
        session, page_id, person, method.index, method.type, now, sent_at=now
    )
    carried = (Carried(notification_id, page_id, run.id, person, run.title, run.urgency),)
    valid = timedelta(hours=config.ack_link_hours)
    message = _message(session, settings, carried, now, valid)
    return ctx.follow_up(
        session,
        jobs.DELIVER,
        NotificationDue(notification_id),
        idempotency_key=jobs.delivery_key(notification_id),
        max_attempts=jobs.DELIVERY_ATTEMPTS,
        memo=Outgoing(method, message, carried),
    )


@batched
def deliver_notification(ctx: JobContext, due: NotificationDue) -> None:
    settings = NotifySettings.from_env()
    outgoing = ctx.memo if isinstance(ctx.memo, Outgoing) else None
    if outgoing is None:
        # Locking the person inside a transaction that holds other jobs' locks
        # (people, runs) could deadlock with another worker doing the same.
        ctx.settle()
        now = ctx.clock.now()
        with ctx.transaction(finish=False) as session:
            config = Directory.shared(ctx.shared, session).paging()
            outgoing = _prepare_single(session, settings, config, due.notification_id, now)
    else:
        ctx.settle()  # prepared by its step, which committed; nothing else may be pending
    if outgoing is not None:
        _send(ctx, settings, outgoing)


@batched
def deliver_bundle(ctx: JobContext, due: BundleDue) -> None:
    settings = NotifySettings.from_env()
    now = ctx.clock.now()
    ctx.settle()  # as in deliver_notification: lock the person holding nothing else
    with ctx.transaction(finish=False) as session:
        outgoing = _prepare_bundle(session, settings, due.user, due.method_index, now)
    if outgoing is not None:
        _send(ctx, settings, outgoing)
