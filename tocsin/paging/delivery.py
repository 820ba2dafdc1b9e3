"""Delivering notifications: rate limits and bundles, attempts, retries, fallback, dead pages.

``paging.deliver`` sends one notification; ``paging.bundle`` sends every
notification held back by a contact method's rate limit as one message.
Both work in three steps:

1. in a transaction holding the person's row (so two workers cannot both
   squeeze past a rate limit), decide: drop it (the page was acknowledged),
   hold it (over the limit), or mark it *sending* and issue acknowledge links;
2. send, outside any transaction;
3. record the attempt. A failure is retried with the engine's backoff; a
   permanent failure or the last attempt marks the notification failed and
   falls back to the person's next contact method; when none is left and
   nothing reached the person, the page is dead and admins are alarmed.

A worker that dies between 1 and 3 leaves the notification *sending*; the
job's retry sends it again (at least once), with the same delivery id so
receivers that deduplicate can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.bundling import (
    PageSummary,
    RateLimit,
    bundle_text,
    limit_for,
    next_free,
    page_text,
)
from tocsin.domain.notification_rules import ContactMethod, fallback
from tocsin.engine import jobs
from tocsin.engine.registry import JobContext
from tocsin.notify.channels import deliver, provider
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings
from tocsin.paging import acks, runs
from tocsin.paging.directory import Directory, contact_methods
from tocsin.paging.subjects import synchronise
from tocsin.store import paging as store
from tocsin.store.paging import DeliveryAttempt, EscalationRun, Notification, Page
from tocsin.store.tables import User

BUNDLE_JOB = "paging.bundle"


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send and the notifications it carries (the first is the carrier)."""

    method: ContactMethod
    message: Message
    notification_ids: tuple[int, ...]


def _lock_person(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name).with_for_update())


def _method(user: User | None, index: int, kind: str) -> ContactMethod | None:
    if user is None:
        return None
    found = next((m for m in contact_methods(user) if m.index == index), None)
    return found if found is not None and found.type == kind else None


def _sent_times(
    session: Session, user: str, index: int, now: datetime, limit: RateLimit
) -> list[datetime]:
    """When the latest messages (at most ``limit.count``) to this contact method went out.

    Only those decide whether one more fits in the window, so a storm's
    history costs nothing: the query reads at most ``count`` index entries.
    """
    return [
        at
        for at in session.scalars(
            select(Notification.sent_at)
            .where(
                Notification.user_name == user,
                Notification.method_index == index,
                Notification.sent_at > now - limit.window,
                Notification.state.in_((store.NOTIFY_SENDING, store.NOTIFY_SENT)),
            )
            .order_by(Notification.sent_at.desc())
            .limit(limit.count)
        )
        if at is not None
    ]


def _message(
    session: Session,
    settings: NotifySettings,
    notifications: Sequence[Notification],
    now: datetime,
    valid: timedelta,
) -> Message:
    summaries = []
    items = []
    for notification in notifications:
        page = session.get(Page, notification.page_id)
        assert page is not None
        token = acks.issue(session, page.id, now, valid)
        url = f"{settings.public_url}/ack/{token}"
        summaries.append(PageSummary(page.id, page.title, url))
        items.append(
            {
                "page_id": page.id,
                "title": page.title,
                "urgency": page.urgency,
                "escalation_run": page.run_id,
                "ack_url": url,
            }
        )
    text = page_text(summaries[0]) if len(summaries) == 1 else bundle_text(summaries)
    return Message(
        subject=text.subject,
        body=text.body,
        idempotency_key=f"tocsin-notification-{notifications[0].id}",
        data={"pages": items},
    )


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


def _hold(session: Session, notification: Notification, free: datetime, now: datetime) -> None:
    notification.state = store.NOTIFY_HELD
    notification.note = f"rate limit: bundled at {free.isoformat()}"
    jobs.enqueue(
        session,
        BUNDLE_JOB,
        {"user": notification.user_name, "method_index": notification.method_index},
        now=now,
        run_at=free,
        idempotency_key=(
            f"{BUNDLE_JOB}:{notification.user_name}:{notification.method_index}:{free.isoformat()}"
        ),
        max_attempts=runs.DELIVERY_ATTEMPTS,
    )


def _prepare_single(
    session: Session, settings: NotifySettings, notification_id: int, now: datetime
) -> Outgoing | None:
    notification = session.get(Notification, notification_id)
    if notification is None:
        return None
    user = _lock_person(session, notification.user_name)
    session.refresh(notification)
    if notification.state not in (store.NOTIFY_PENDING, store.NOTIFY_SENDING):
        return None
    if not _still_wanted(session, notification, now):
        return None
    method = _method(user, notification.method_index, notification.method_type)
    if method is None:
        fail_over(session, notification, "the contact method no longer exists", now)
        return None
    directory = Directory(session)
    config = directory.paging()
    if notification.state == store.NOTIFY_PENDING:
        limit = limit_for(method.type, config.limits())
        free = next_free(
            _sent_times(session, notification.user_name, method.index, now, limit), now, limit
        )
        if free is not None:
            _hold(session, notification, free, now)
            return None
        notification.state, notification.sent_at = store.NOTIFY_SENDING, now
    valid = timedelta(hours=config.ack_link_hours)
    return Outgoing(
        method, _message(session, settings, [notification], now, valid), (notification.id,)
    )


def _prepare_bundle(
    session: Session, settings: NotifySettings, user_name: str, index: int, now: datetime
) -> Outgoing | None:
    user = _lock_person(session, user_name)
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
    directory = Directory(session)
    config = directory.paging()
    if not group:
        held = session.scalars(
            of_method.where(Notification.state == store.NOTIFY_HELD).order_by(Notification.id)
        ).all()
        group = [each for each in held if _still_wanted(session, each, now)]
        if not group:
            return None
        method = _method(user, index, group[0].method_type)
        if method is None:
            for each in group:
                fail_over(session, each, "the contact method no longer exists", now)
            return None
        limit = limit_for(method.type, config.limits())
        free = next_free(_sent_times(session, user_name, index, now, limit), now, limit)
        if free is not None:
            _hold(session, group[0], free, now)
            return None
        for each in group:
            each.state, each.bundled_into = store.NOTIFY_SENDING, group[0].id
        group[0].sent_at = now
    method = _method(user, index, group[0].method_type)
    if method is None:
        for each in group:
            fail_over(session, each, "the contact method no longer exists", now)
        return None
    valid = timedelta(hours=config.ack_link_hours)
    message = _message(session, settings, group, now, valid)
    return Outgoing(method, message, tuple(each.id for each in group))


def fail_over(session: Session, notification: Notification, reason: str, now: datetime) -> None:
    """Give up on ``notification``: try the person's next contact method, or bury the page."""
    notification.state, notification.note = store.NOTIFY_FAILED, reason
    page = session.get(Page, notification.page_id)
    run = session.get(EscalationRun, page.run_id) if page is not None else None
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
        runs.schedule_notification(session, page, following.index, following.type, now, now)
        return
    alive = (store.NOTIFY_PENDING, store.NOTIFY_HELD, store.NOTIFY_SENDING, store.NOTIFY_SENT)
    if not any(each.state in alive for each in siblings if each.id != notification.id):
        runs.bury(session, page, run, f"every contact method failed (last: {reason})", now)


def _attempt(
    session: Session, outgoing: Outgoing, now: datetime, error: DeliveryError | None
) -> None:
    session.add(
        DeliveryAttempt(
            notification_id=outgoing.notification_ids[0],
            page_id=_page_of(session, outgoing.notification_ids[0]),
            at=now,
            provider=provider(outgoing.method),
            status="failed" if error else "sent",
            error=str(error) if error else None,
            pages=len(outgoing.notification_ids),
        )
    )


def _page_of(session: Session, notification_id: int) -> int:
    notification = session.get(Notification, notification_id)
    assert notification is not None
    return notification.page_id


def _send(ctx: JobContext, settings: NotifySettings, outgoing: Outgoing) -> None:
    now = ctx.clock.now()
    try:
        deliver(settings, outgoing.method, outgoing.message, now)
    except DeliveryError as error:
        with ctx.database.transaction() as session:
            _attempt(session, outgoing, now, error)
        if not error.permanent and ctx.job.attempts < ctx.job.max_attempts:
            raise
        with ctx.transaction() as session:
            for notification_id in outgoing.notification_ids:
                notification = session.get(Notification, notification_id)
                if notification is not None and notification.state == store.NOTIFY_SENDING:
                    fail_over(session, notification, str(error), now)
        return
    with ctx.transaction() as session:
        _attempt(session, outgoing, now, None)
        for notification_id in outgoing.notification_ids:
            notification = session.get(Notification, notification_id)
            assert notification is not None
            notification.state = store.NOTIFY_SENT
            page = session.get(Page, notification.page_id)
            run = session.get(EscalationRun, page.run_id) if page is not None else None
            if page is not None and run is not None:
                bundled = len(outgoing.notification_ids)
                runs.record(
                    session,
                    run,
                    now,
                    "notified",
                    f"notified {page.user_name} by {outgoing.method.describe()}"
                    + (f" (one message for {bundled} pages)" if bundled > 1 else ""),
                    on_incident=False,
                    page=str(page.id),
                )


def deliver_notification(ctx: JobContext) -> None:
    settings = NotifySettings.from_env()
    now = ctx.clock.now()
    with ctx.database.transaction() as session:
        outgoing = _prepare_single(session, settings, int(ctx.payload["notification_id"]), now)
    if outgoing is not None:
        _send(ctx, settings, outgoing)


def deliver_bundle(ctx: JobContext) -> None:
    settings = NotifySettings.from_env()
    now = ctx.clock.now()
    user, index = str(ctx.payload["user"]), int(ctx.payload["method_index"])
    with ctx.database.transaction() as session:
        outgoing = _prepare_bundle(session, settings, user, index, now)
    if outgoing is not None:
        _send(ctx, settings, outgoing)
