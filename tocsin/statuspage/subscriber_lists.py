"""Reading subscribers and their deliveries back, a page at a time (the API and the console).

Both lists page by keyset (:mod:`tocsin.db.keyset`): subscribers newest first,
an update's deliveries in the order they were queued.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, func, select, type_coerce
from sqlalchemy.orm import Session

from tocsin.db import keyset
from tocsin.domain.refusals import NotFound
from tocsin.statuspage.tables import Delivery, PublicIncident, PublicUpdate, Subscriber

#: Newest first; the channel filter has an index ending with the id.
ORDER = keyset.Order((Subscriber.id.expression,))
DELIVERY_ORDER = keyset.Order((Delivery.id.expression,), descending=False)


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
    update_id = session.scalar(select(PublicUpdate.id).where(PublicUpdate.code == code))
    if update_id is None:
        raise NotFound(f"no public update {code!r}")
    counts = session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.update_id == update_id)
        .group_by(Delivery.state)
    ).all()
    query = select(Delivery).where(Delivery.update_id == update_id)
    found = keyset.page(session, query, DELIVERY_ORDER, limit=limit, cursor=cursor)
    ids = [row.subscriber_id for row in found.rows]
    owners = {
        row.id: row for row in session.scalars(select(Subscriber).where(Subscriber.id.in_(ids)))
    }
    return Deliveries(
        counts={str(state): int(count) for state, count in counts},
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
