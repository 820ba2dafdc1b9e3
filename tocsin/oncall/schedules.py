"""Loading schedules from the database: the configured schedule with its stored overrides.

A schedule is a ``definitions`` row of kind ``schedule`` holding a
:class:`~tocsin.oncall.config_schema.ScheduleConfig`. Overrides come from two
places: the schedule's own ``overrides:`` (configuration) and the
``oncall_overrides`` table (API, CLI, accepted swaps). Stored overrides are laid
on top in the order they were created, so the latest one wins where two
overlap, and any stored one wins over a configured one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config import known_names
from tocsin.config.tables import Definition
from tocsin.domain.fairness import FairnessPolicies
from tocsin.domain.refusals import Conflict, Invalid, NotFound
from tocsin.domain.schedule import Override, Schedule
from tocsin.oncall.config_schema import SCHEDULE, SCHEDULE_KIND, ScheduleConfig
from tocsin.oncall.tables import OverrideRow

#: The longest range one request may ask shifts, reports or fairness for.
MAX_RANGE = timedelta(days=366)


@dataclass(frozen=True)
class LoadedSchedule:
    """A stored schedule, compiled with its overrides (all of them, or those in a window)."""

    id: int
    name: str
    config: ScheduleConfig
    schedule: Schedule

    @property
    def layers(self) -> list[str]:
        return [layer.name for layer in self.schedule.layers]

    @property
    def policies(self) -> FairnessPolicies | None:
        policies = self.config.policies
        return None if policies is None else policies.to_policies()


def check_range(
    start: datetime, end: datetime, *, start_field: str, end_field: str, where: str
) -> None:
    """Refuse an empty, backwards or too long range, naming the field at fault.

    ``where`` is the part of the request holding the fields (``body`` or ``query``).
    """
    if end <= start:
        raise Invalid(end_field, f"must be after {start_field}", where=where)
    if end - start > MAX_RANGE:
        message = f"must be at most {MAX_RANGE.days} days after {start_field}"
        raise Invalid(end_field, message, where=where)


def _compile(
    session: Session, row: Definition, window: tuple[datetime, datetime] | None
) -> LoadedSchedule:
    config = ScheduleConfig.model_validate(row.spec)
    try:
        base = config.to_schedule(row.name)
    except ValueError as error:
        raise Conflict(f"schedule {row.name!r} cannot be used: {error}") from error
    query = select(OverrideRow).where(OverrideRow.schedule_id == row.id).order_by(OverrideRow.id)
    if window is not None:
        query = query.where(OverrideRow.end_at > window[0], OverrideRow.start_at < window[1])
    layers = {layer.name for layer in base.layers}
    stored = [
        Override(each.layer, each.user_name, each.start_at, each.end_at)
        for each in session.scalars(query)
        # An override on a layer the schedule no longer has cannot apply.
        if each.layer in layers
    ]
    return LoadedSchedule(row.id, row.name, config, base.with_overrides(*stored))


def definition(session: Session, name: str) -> Definition:
    row = session.scalar(
        select(Definition).where(Definition.kind == SCHEDULE, Definition.name == name)
    )
    if row is None:
        raise NotFound(known_names.unknown_definition(session, SCHEDULE_KIND, name))
    return row


def load(
    session: Session, name: str, window: tuple[datetime, datetime] | None = None
) -> LoadedSchedule:
    """The schedule called ``name`` with its overrides; only those overlapping ``window``
    when one is given (the result is then exact inside the window)."""
    return _compile(session, definition(session, name), window)


def load_all(
    session: Session, window: tuple[datetime, datetime] | None = None
) -> list[LoadedSchedule]:
    """Every schedule, in definition order, each with its overrides as for :func:`load`."""
    rows = session.scalars(
        select(Definition)
        .where(Definition.kind == SCHEDULE)
        .order_by(Definition.position, Definition.name)
    )
    return [_compile(session, row, window) for row in rows]
