"""Who is told: the fan-outs of an update, of a component status change and of a postmortem.

Each fan-out job reads :data:`FAN_OUT_BATCH` subscribers at a time (by id),
writes a ``queued`` row in ``status_deliveries`` for each confirmed, enabled
one that the update or change concerns, queues the jobs that send them (see
:mod:`tocsin.statuspage.subscriber_delivery`) and, when the batch was full,
the next batch's fan-out. Each batch commits with its job, so a crash
repeats none.

An update concerns a subscriber when the incident shows on the subscriber's
page (every incident on the main page; elsewhere one listing a component of
that page) and, if the subscriber chose components, lists one of them. A
component's change concerns the **webhook** subscribers whose page shows the
component and who chose it (or chose none): as Statuspage does, email, Slack
and Teams subscribers hear of statuses through incident updates only. A
postmortem made public concerns those its incident's updates concern.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from tocsin.engine import jobs as queue
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import JobContext
from tocsin.statuspage import components as component_states
from tocsin.statuspage import publishing
from tocsin.statuspage.audiences import Audience, audiences
from tocsin.statuspage.subscriber_jobs import (
    COMPONENT_FAN_OUT,
    DELIVER,
    DELIVER_MAIL,
    FAN_OUT,
    MAIL_BATCH,
    POSTMORTEM_FAN_OUT,
    ComponentFanOut,
    Deliver,
    DeliverMail,
    FanOut,
    PostmortemFanOut,
    component_deliver_key,
    component_fan_out_key,
    deliver_key,
    deliver_mail_key,
    fan_out_key,
    postmortem_deliver_key,
    postmortem_fan_out_key,
    postmortem_mail_key,
)
from tocsin.statuspage.subscribers import EMAIL, WEBHOOK
from tocsin.statuspage.tables import (
    ComponentStatusChange,
    Delivery,
    PublicIncident,
    PublicUpdate,
    Subscriber,
)

FAN_OUT_BATCH = 500
QUEUED = "queued"


def interested(page: Audience | None, chosen: list[Any] | None, concerned: set[str]) -> bool:
    """Whether an update or change about ``concerned`` components is told to a subscriber."""
    if page is None:
        return False
    if page.components is not None and not concerned & page.components:
        return False
    return chosen is None or bool(concerned & {str(name) for name in chosen})


def _batch(session: Session, after: int, channel: str | None = None) -> Sequence[Row[Any]]:
    """The next confirmed, enabled subscribers (of ``channel``, if given) after ``after``."""
    query = select(Subscriber.id, Subscriber.page, Subscriber.components, Subscriber.channel).where(
        Subscriber.id > after,
        Subscriber.confirmed_at.is_not(None),
        Subscriber.disabled_at.is_(None),
    )
    if channel is not None:
        query = query.where(Subscriber.channel == channel)
    return session.execute(query.order_by(Subscriber.id).limit(FAN_OUT_BATCH)).all()


def _chosen(session: Session, rows: Sequence[Row[Any]], concerned: set[str]) -> list[Row[Any]]:
    pages = {page.slug: page for page in audiences(component_states.settings(session))}
    return [row for row in rows if interested(pages.get(row.page), row.components, concerned)]


def _write(
    session: Session, subscriber_ids: list[int], subject: dict[str, int], now: datetime
) -> list[tuple[int, int]]:
    """One ``queued`` delivery of ``subject`` per subscriber: (delivery id, subscriber id)."""
    written = session.execute(
        insert(Delivery).returning(Delivery.id, Delivery.subscriber_id),
        [
            {
                "subscriber_id": subscriber_id,
                "update_id": None,
                "component_change_id": None,
                **subject,
                "state": QUEUED,
                "attempts": 0,
                "created_at": now,
            }
            for subscriber_id in subscriber_ids
        ],
    ).all()
    return [(delivery_id, subscriber_id) for delivery_id, subscriber_id in written]


@dataclass(frozen=True)
class _Subject:
    """What a fan-out tells: the delivery's column, its jobs and their idempotency keys."""

    column: dict[str, int]
    #: The key of a mail job, by its first subscriber's id.
    mail_key: Callable[[int], str]
    #: The key of a delivery job, by its subscriber's id.
    deliver_key: Callable[[int], str]
    #: The fan-out job of the batch after a subscriber id, and its key.
    next_job: Callable[[int], tuple[JobKind[Any], object, str]]


def _fan_out(
    session: Session, after: int, concerned: set[str], subject: _Subject, now: datetime
) -> None:
    """One batch: a delivery per interested subscriber after ``after`` (mails in batches,
    the rest a job each), and the next batch's fan-out when this one was full."""
    rows = _batch(session, after)
    chosen = _chosen(session, rows, concerned)
    channels = {row.id: row.channel for row in chosen}
    written = _write(session, list(channels), subject.column, now) if chosen else []
    mails = sorted(
        (subscriber_id, delivery_id)
        for delivery_id, subscriber_id in written
        if channels[subscriber_id] == EMAIL
    )
    for start in range(0, len(mails), MAIL_BATCH):
        group = mails[start : start + MAIL_BATCH]
        queue.enqueue(
            session,
            DELIVER_MAIL,
            DeliverMail([delivery_id for _, delivery_id in group]),
            now=now,
            idempotency_key=subject.mail_key(group[0][0]),
        )
    for delivery_id, subscriber_id in written:
        if channels[subscriber_id] != EMAIL:
            queue.enqueue(
                session,
                DELIVER,
                Deliver(delivery_id),
                now=now,
                idempotency_key=subject.deliver_key(subscriber_id),
            )
    if len(rows) == FAN_OUT_BATCH:
        kind, payload, key = subject.next_job(rows[-1].id)
        queue.enqueue(session, kind, payload, now=now, idempotency_key=key)


def fan_out(ctx: JobContext, job: FanOut) -> None:
    now = ctx.clock.now()
    with ctx.transaction() as session:
        update = session.get(PublicUpdate, job.update_id)
        if update is None:
            return
        public = session.get(PublicIncident, update.public_incident_id)
        assert public is not None
        concerned = {str(name) for name in public.components}
        concerned |= {str(item["name"]) for item in update.affected_components}
        told = update.id
        subject = _Subject(
            {"update_id": told},
            partial(deliver_mail_key, told),
            partial(deliver_key, told),
            lambda last: (FAN_OUT, FanOut(told, after=last), fan_out_key(told, last)),
        )
        _fan_out(session, job.after, concerned, subject, now)


def fan_out_postmortem(ctx: JobContext, job: PostmortemFanOut) -> None:
    """Tell the subscribers an update of the incident would reach that its postmortem is
    public (nobody, if it was withdrawn meanwhile)."""
    now = ctx.clock.now()
    with ctx.transaction() as session:
        public = session.get(PublicIncident, job.public_incident_id)
        if public is None or public.postmortem_published_at is None:
            return
        updates = publishing.updates(session, [public.id])[public.id]
        concerned = {str(name) for name in public.components}
        concerned |= {str(item["name"]) for row in updates for item in row.affected_components}
        told = public.id
        subject = _Subject(
            {"postmortem_of": told},
            partial(postmortem_mail_key, told),
            partial(postmortem_deliver_key, told),
            lambda last: (
                POSTMORTEM_FAN_OUT,
                PostmortemFanOut(told, after=last),
                postmortem_fan_out_key(told, last),
            ),
        )
        _fan_out(session, job.after, concerned, subject, now)


def fan_out_component(ctx: JobContext, job: ComponentFanOut) -> None:
    """Tell the interested webhook subscribers about one component status change."""
    now = ctx.clock.now()
    with ctx.transaction() as session:
        change = session.get(ComponentStatusChange, job.change_id)
        if change is None:
            return
        rows = _batch(session, job.after, WEBHOOK)
        chosen = _chosen(session, rows, {change.component})
        if chosen:
            subject = {"component_change_id": change.id}
            for delivery_id, subscriber_id in _write(
                session, [row.id for row in chosen], subject, now
            ):
                queue.enqueue(
                    session,
                    DELIVER,
                    Deliver(delivery_id),
                    now=now,
                    idempotency_key=component_deliver_key(change.id, subscriber_id),
                )
        if len(rows) == FAN_OUT_BATCH:
            last = rows[-1].id
            queue.enqueue(
                session,
                COMPONENT_FAN_OUT,
                ComponentFanOut(change.id, after=last),
                now=now,
                idempotency_key=component_fan_out_key(change.id, last),
            )
