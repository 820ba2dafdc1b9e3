"""Reading subscribers and their deliveries back, a page at a time (the API and the console).

Every list pages by keyset (:mod:`tocsin.db.keyset`): subscribers newest first,
an update's (or a postmortem's) deliveries in the order they were queued, a
subscriber's deliveries (of updates, component changes and postmortems)
newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, func, select, type_coerce
from sqlalchemy.orm import Session

from tocsin.db import keyset
from tocsin.domain.refusals import NotFound
from tocsin.statuspage import components
from tocsin.statuspage.tables import (
    ComponentStatusChange,
    Delivery,
    PublicIncident,
    PublicUpdate,
    Subscriber,
)

#: Newest first; the channel filter has an index ending with the id.
ORDER = keyset.Order((Subscriber.id.expression,))
DELIVERY_ORDER = keyset.Order((Delivery.id.expression,), descending=False)
#: A subscriber's deliveries, newest first (index: subscriber_id, id).
TOLD_ORDER = keyset.Order((Delivery.id.expression,))


def subscribers(
    session: Session, *, channel: str | None, limit: int, cursor: str | None
) -> keyset.Page:
    query = select(Subscriber)
    if channel is not None:
        query = query.where(Subscriber.channel == channel)
    return keyset.page(session, query, ORDER, limit=limit, cursor=cursor)


@dataclass(frozen=True)
class Deliveries:
    """A page of an update's deliveries, each with its subscriber, and the counts by state."""

    counts: dict[str, int]
    rows: list[tuple[Delivery, Subscriber]]
    next_cursor: str | None


def deliveries(session: Session, code: str, *, limit: int, cursor: str | None) -> Deliveries:
    """The deliveries of the public update ``code``."""
    update_id = session.scalar(select(PublicUpdate.id).where(PublicUpdate.code == code))
    if update_id is None:
        raise NotFound(f"no public update {code!r}")
    return _deliveries(session, Delivery.update_id == update_id, limit=limit, cursor=cursor)


def postmortem_deliveries(
    session: Session, public: PublicIncident, *, limit: int, cursor: str | None
) -> Deliveries:
    """The deliveries telling that ``public``'s postmortem is public."""
    return _deliveries(session, Delivery.postmortem_of == public.id, limit=limit, cursor=cursor)


def _deliveries(
    session: Session, told: ColumnElement[bool], *, limit: int, cursor: str | None
) -> Deliveries:
    query = select(Delivery).where(told)
    found = keyset.page(session, query, DELIVERY_ORDER, limit=limit, cursor=cursor)
    ids = [row.subscriber_id for row in found.rows]
    owners = {
        row.id: row for row in session.scalars(select(Subscriber).where(Subscriber.id.in_(ids)))
    }
    return Deliveries(
        counts=_counts(session, told),
        rows=[(row, owners[row.subscriber_id]) for row in found.rows],
        next_cursor=found.next_cursor,
    )


def counts_by_update(session: Session, update_ids: list[int]) -> dict[int, dict[str, int]]:
    """How each update's deliveries stand, by state."""
    found: dict[int, dict[str, int]] = {}
    if update_ids:
        # Never null here: the filter names updates.
        named = type_coerce(Delivery.update_id, Integer)
        rows = session.execute(
            select(named, Delivery.state, func.count())
            .where(Delivery.update_id.in_(update_ids))
            .group_by(Delivery.update_id, Delivery.state)
        )
        for update_id, state, count in rows:
            found.setdefault(update_id, {})[str(state)] = int(count)
    return found


def _counts(session: Session, told: ColumnElement[bool]) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.state, func.count()).where(told).group_by(Delivery.state)
    )
    return {str(state): int(count) for state, count in rows}


def postmortem_counts(session: Session, public: PublicIncident) -> dict[str, int]:
    """How the deliveries of ``public``'s postmortem stand, by state."""
    return _counts(session, Delivery.postmortem_of == public.id)


def story_of(session: Session, code: str) -> PublicIncident:
    """The public incident or maintenance an update belongs to."""
    found = session.scalar(
        select(PublicIncident)
        .join(PublicUpdate, PublicUpdate.public_incident_id == PublicIncident.id)
        .where(PublicUpdate.code == code)
    )
    if found is None:
        raise NotFound(f"no public update {code!r}")
    return found


@dataclass(frozen=True)
class ToldUpdate:
    code: str
    status: str
    incident_code: str
    incident_name: str


@dataclass(frozen=True)
class ToldChange:
    component: str
    old_status: str
    new_status: str
    changed_at: datetime


@dataclass(frozen=True)
class ToldPostmortem:
    incident_code: str
    incident_name: str
    title: str | None


@dataclass(frozen=True)
class Told:
    """One delivery of a subscriber and what it told: an update, a component change or
    a postmortem."""

    delivery: Delivery
    update: ToldUpdate | None
    change: ToldChange | None
    postmortem: ToldPostmortem | None = None


@dataclass(frozen=True)
class SubscriberDeliveries:
    subscriber: Subscriber
    rows: list[Told]
    next_cursor: str | None


def _updates(session: Session, ids: set[int]) -> dict[int, ToldUpdate]:
    rows = session.execute(
        select(PublicUpdate.id, PublicUpdate.code, PublicUpdate.status, PublicIncident)
        .join(PublicIncident, PublicIncident.id == PublicUpdate.public_incident_id)
        .where(PublicUpdate.id.in_(ids))
    )
    return {
        update_id: ToldUpdate(code, status, public.code, public.name)
        for update_id, code, status, public in rows
    }


def _changes(session: Session, ids: set[int]) -> dict[int, ToldChange]:
    before = components.statuses_before(session, ids)
    rows = session.scalars(select(ComponentStatusChange).where(ComponentStatusChange.id.in_(ids)))
    return {
        row.id: ToldChange(row.component, before[row.id], row.status, row.started_at)
        for row in rows
    }


def _postmortems(session: Session, ids: set[int]) -> dict[int, ToldPostmortem]:
    rows = session.scalars(select(PublicIncident).where(PublicIncident.id.in_(ids)))
    return {row.id: ToldPostmortem(row.code, row.name, row.postmortem_title) for row in rows}


def subscriber_deliveries(
    session: Session, code: str, *, limit: int, cursor: str | None
) -> SubscriberDeliveries:
    """A subscriber's deliveries, newest first, each with what it told."""
    subscriber = session.scalar(select(Subscriber).where(Subscriber.code == code))
    if subscriber is None:
        raise NotFound(f"no subscriber {code!r}")
    query = select(Delivery).where(Delivery.subscriber_id == subscriber.id)
    found = keyset.page(session, query, TOLD_ORDER, limit=limit, cursor=cursor)
    deliveries: list[Delivery] = found.rows
    updates = _updates(session, {row.update_id for row in deliveries if row.update_id})
    changes = _changes(
        session, {row.component_change_id for row in deliveries if row.component_change_id}
    )
    postmortems = _postmortems(
        session, {row.postmortem_of for row in deliveries if row.postmortem_of}
    )
    return SubscriberDeliveries(
        subscriber=subscriber,
        rows=[
            Told(
                row,
                updates.get(row.update_id) if row.update_id else None,
                changes.get(row.component_change_id) if row.component_change_id else None,
                postmortems.get(row.postmortem_of) if row.postmortem_of else None,
            )
            for row in deliveries
        ],
        next_cursor=found.next_cursor,
    )
