"""Swap requests: one responder asks another to cover part of their shift.

The requester must hold the layer for the whole range asked about. Only the
person asked may accept or decline; only the requester (or an admin) may
cancel, and only while the request is open. Accepting creates an override for
the person covering, checked against the fairness policies like any other:
if it would break one, the accept is refused with the policy's message and
the request stays open. Every step is audited with both people named.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.config.tables import Definition
from tocsin.db import audit
from tocsin.domain.refusals import Conflict, Forbidden, Invalid, NotFound
from tocsin.domain.schedule import shifts
from tocsin.oncall import overrides, schedules
from tocsin.oncall.tables import (
    SWAP_ACCEPTED,
    SWAP_CANCELLED,
    SWAP_DECLINED,
    SWAP_REQUESTED,
    SwapRow,
)


def _audit(
    session: Session, swap: SwapRow, action: str, actor: str, now: datetime, addr: str | None
) -> None:
    schedule = session.get(Definition, swap.schedule_id)
    audit.record(
        session,
        at=now,
        actor=actor,
        action=f"oncall.swap.{action}",
        object_type="schedule",
        object_key=schedule.name if schedule is not None else "",
        detail={
            "swap": swap.id,
            "layer": swap.layer,
            "requester": swap.requester,
            "covering": swap.covering,
            "start": swap.start_at.isoformat(),
            "end": swap.end_at.isoformat(),
            "state": swap.state,
            "override": swap.override_id,
        },
        remote_addr=addr,
    )


def request(
    session: Session,
    schedule: str,
    *,
    layer: str,
    requester: str,
    covering: str,
    start: datetime,
    end: datetime,
    message: str,
    now: datetime,
    remote_addr: str | None,
) -> SwapRow:
    """Ask ``covering`` to hold ``layer`` instead of ``requester`` for [start, end)."""
    loaded = schedules.load(session, schedule)
    overrides.require_layer(loaded, layer)
    overrides.require_user(session, "user", covering)
    if covering == requester:
        raise Invalid("user", "must be someone else than the requester")
    overrides.check_span(start, end, now)
    cursor = start
    for shift in shifts(loaded.schedule, start, end):
        if shift.layer == layer and shift.start == cursor and shift.person == requester:
            cursor = shift.end
    if cursor < end:
        raise Conflict(
            f"{requester} is not on call on {layer} of {schedule!r} for the whole range "
            f"from {start.isoformat()} to {end.isoformat()}; "
            f"a swap covers time the requester holds"
        )
    swap = SwapRow(
        schedule_id=loaded.id,
        layer=layer,
        requester=requester,
        covering=covering,
        start_at=start,
        end_at=end,
        message=message,
        state=SWAP_REQUESTED,
        created_at=now,
    )
    session.add(swap)
    session.flush()
    _audit(session, swap, "request", requester, now, remote_addr)
    return swap


def _open(session: Session, swap_id: int) -> SwapRow:
    swap = session.get(SwapRow, swap_id, with_for_update=True)
    if swap is None:
        raise NotFound(f"no swap request {swap_id}")
    if swap.state != SWAP_REQUESTED:
        raise Conflict(f"swap request {swap_id} is already {swap.state}")
    return swap


def _decide(swap: SwapRow, state: str, actor: str, now: datetime) -> None:
    swap.state, swap.decided_at, swap.decided_by = state, now, actor


def accept(
    session: Session, swap_id: int, *, actor: str, now: datetime, remote_addr: str | None
) -> SwapRow:
    """The person asked takes the range over: an override for them, fairness-checked."""
    swap = _open(session, swap_id)
    if actor != swap.covering:
        raise Forbidden(f"only {swap.covering}, who was asked, may accept swap request {swap_id}")
    schedule = session.get(Definition, swap.schedule_id)
    assert schedule is not None  # the foreign key cascades deletes
    if swap.end_at <= now:
        raise Conflict(f"swap request {swap_id} is for a range that has already ended")
    override = overrides.create(
        session,
        schedule.name,
        layer=swap.layer,
        user=swap.covering,
        start=swap.start_at,
        end=swap.end_at,
        reason=f"swap request {swap.id} from {swap.requester}",
        actor=actor,
        admin=False,
        force=False,
        now=now,
        remote_addr=remote_addr,
    )
    swap.override_id = override.id
    _decide(swap, SWAP_ACCEPTED, actor, now)
    _audit(session, swap, "accept", actor, now, remote_addr)
    return swap


def decline(
    session: Session, swap_id: int, *, actor: str, now: datetime, remote_addr: str | None
) -> SwapRow:
    swap = _open(session, swap_id)
    if actor != swap.covering:
        raise Forbidden(f"only {swap.covering}, who was asked, may decline swap request {swap_id}")
    _decide(swap, SWAP_DECLINED, actor, now)
    _audit(session, swap, "decline", actor, now, remote_addr)
    return swap


def cancel(
    session: Session,
    swap_id: int,
    *,
    actor: str,
    admin: bool,
    now: datetime,
    remote_addr: str | None,
) -> SwapRow:
    swap = _open(session, swap_id)
    if actor != swap.requester and not admin:
        raise Forbidden(
            f"only {swap.requester}, who asked, or an admin may cancel swap request {swap_id}"
        )
    _decide(swap, SWAP_CANCELLED, actor, now)
    _audit(session, swap, "cancel", actor, now, remote_addr)
    return swap


def listing(
    session: Session, *, user: str, admin: bool, state: str | None, limit: int
) -> list[SwapRow]:
    """Swap requests ``user`` made or was asked (every one, for an admin), newest first."""
    query = select(SwapRow).order_by(SwapRow.id.desc()).limit(limit)
    if not admin:
        query = query.where(or_(SwapRow.requester == user, SwapRow.covering == user))
    if state is not None:
        query = query.where(SwapRow.state == state)
    return list(session.scalars(query))


def schedule_name(session: Session, swap: SwapRow) -> str:
    schedule = session.get(Definition, swap.schedule_id)
    return "" if schedule is None else schedule.name
