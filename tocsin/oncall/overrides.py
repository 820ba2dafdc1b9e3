"""Overrides made at runtime: checked against fairness policies, audited, planned for handoffs.

An override that would add a fairness violation over the next 26 weeks (see
:func:`tocsin.domain.fairness.violations_added_by`) is refused with the
violations' messages; an admin may force it, and the audit entry says it was
forced and which violations it added.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import find_user
from tocsin.config import known_names
from tocsin.db import audit
from tocsin.domain.fairness import Violation, violations_added_by
from tocsin.domain.refusals import Conflict, Forbidden, Invalid, NotFound
from tocsin.domain.schedule import Override
from tocsin.oncall import handoff, schedules
from tocsin.oncall.tables import OverrideRow


class FairnessViolation(Conflict):
    """The change would break a fairness policy; ``violations`` says how."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(
            "refused by the schedule's fairness policies: "
            + "; ".join(violation.message for violation in violations)
        )
        self.violations = violations


def check_span(start: datetime, end: datetime, now: datetime) -> None:
    """An override or swap lasts at most a year, ends in the future and starts within a year.

    The bound on the start also bounds the fairness check, whose horizon
    stretches to cover the override.
    """
    schedules.check_range(start, end, start_field="start", end_field="end", where="body")
    if end <= now:
        raise Invalid("end", "must be in the future")
    if start - now > schedules.MAX_RANGE:
        raise Invalid("start", f"must be at most {schedules.MAX_RANGE.days} days from now")


def require_layer(loaded: schedules.LoadedSchedule, layer: str) -> None:
    if layer not in loaded.layers:
        raise Invalid(
            "layer",
            f"schedule {loaded.name!r} has no layer {layer!r}; it has {', '.join(loaded.layers)}",
        )


def require_user(session: Session, field: str, name: str) -> None:
    if find_user(session, name) is None:
        raise Invalid(field, known_names.unknown_user(session, name))


def create(
    session: Session,
    schedule: str,
    *,
    layer: str,
    user: str,
    start: datetime,
    end: datetime,
    reason: str,
    actor: str,
    admin: bool,
    force: bool,
    now: datetime,
    remote_addr: str | None,
) -> OverrideRow:
    """Put ``user`` on ``layer`` for [start, end), unless that breaks a fairness policy.

    ``force`` (admins only) creates it all the same and records so.
    """
    if force and not admin:
        raise Forbidden("only an admin may force an override past the fairness policies")
    loaded = schedules.load(session, schedule)
    require_layer(loaded, layer)
    require_user(session, "user", user)
    check_span(start, end, now)
    added = violations_added_by(
        loaded.schedule, loaded.policies, Override(layer, user, start, end), now
    )
    if added and not force:
        raise FairnessViolation(added)
    row = OverrideRow(
        schedule_id=loaded.id,
        layer=layer,
        user_name=user,
        start_at=start,
        end_at=end,
        reason=reason,
        created_by=actor,
        forced=bool(added) and force,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="oncall.override.create",
        object_type="schedule",
        object_key=schedule,
        detail={
            "override": row.id,
            "layer": layer,
            "user": user,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": reason,
            "forced": row.forced,
            "violations": [violation.message for violation in added],
        },
        remote_addr=remote_addr,
    )
    handoff.request_plan(session, loaded.id, now, f"override {row.id} created")
    return row


def listing(
    session: Session, schedule: str, start: datetime | None, end: datetime | None
) -> list[OverrideRow]:
    """A schedule's stored overrides overlapping [start, end) (either end open), by start."""
    row = schedules.definition(session, schedule)
    query = select(OverrideRow).where(OverrideRow.schedule_id == row.id)
    if start is not None:
        query = query.where(OverrideRow.end_at > start)
    if end is not None:
        query = query.where(OverrideRow.start_at < end)
    return list(session.scalars(query.order_by(OverrideRow.start_at, OverrideRow.id)))


def delete(
    session: Session,
    schedule: str,
    override_id: int,
    *,
    actor: str,
    admin: bool,
    now: datetime,
    remote_addr: str | None,
) -> None:
    """Remove an override: its creator, the person it puts on call, or an admin may."""
    definition = schedules.definition(session, schedule)
    row = session.get(OverrideRow, override_id)
    if row is None or row.schedule_id != definition.id:
        raise NotFound(f"schedule {schedule!r} has no override {override_id}")
    if not admin and actor not in (row.created_by, row.user_name):
        raise Forbidden(
            "only the override's creator, the person it puts on call, or an admin may remove it"
        )
    session.delete(row)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="oncall.override.delete",
        object_type="schedule",
        object_key=schedule,
        detail={
            "override": override_id,
            "layer": row.layer,
            "user": row.user_name,
            "start": row.start_at.isoformat(),
            "end": row.end_at.isoformat(),
        },
        remote_addr=remote_addr,
    )
    handoff.request_plan(session, definition.id, now, f"override {override_id} removed")
