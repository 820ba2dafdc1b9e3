"""Keeping the alert rollups current, and reading a period from them and from the rows.

The alert quality report (:mod:`tocsin.metrics.alert_quality`) counts alert
groups and alerts; over years that is millions of rows. Its counts per UTC day
and service (:mod:`tocsin.metrics.tables`) are kept by the ``metrics.roll_up``
job, which runs every hour (a chain of jobs, planned when Tocsin starts, each
planning the next):

- **Covered days.** The rollups cover the days in [``covered_from``,
  ``covered_until``) of :class:`~tocsin.metrics.tables.RollupState`; a day is
  covered once it is over (:data:`SETTLE` after its midnight, for work still
  committing). Each run counts the days that ended since the last one.
- **Changes.** Alert groups are final once resolved, and an alert's counts
  (flapping, resolved by its sender or Tocsin) are set by the time its group
  resolves. So each run counts again the day each group resolved since the
  last run (a little before: :data:`SLACK`) was opened on, and the days its
  alerts were triggered on (from its opening to its last alert).
- **History.** The first runs count the past backwards, :data:`CHUNK_DAYS` a
  run, until the first alert; from then on each run counts again the next
  :data:`CHUNK_DAYS` covered days in turn, so every day is counted afresh
  about once a day (whatever changed without its group resolving: an alert of
  no group, or of a group still open, is counted right again within a day).

Counting a day again replaces its rows, in one transaction with the state;
runs take the state's row lock, so two never count the same day at once.

A report asks :func:`plan` how to read a period: the covered whole days from
the rollups, the rest (the period's first and last part days, and what is not
covered yet: today) from the rows, with the same conditions. Filters the
rollups do not keep (the alerts' severity and source) read everything from
the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

import tocsin.db.hints  # noqa: F401 (SQLite's INDEXED BY)
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.metrics.filters import Filters
from tocsin.metrics.tables import RollupState

#: How long after midnight a day counts as over: work of that day still committing.
SETTLE = timedelta(minutes=5)
#: How far before the last run to look for resolved groups: transactions still committing.
SLACK = timedelta(minutes=15)
#: Days of history a run counts (backwards at first, then again in turn).
CHUNK_DAYS = 100
EVERY = timedelta(hours=1)
#: The columns that place a rollup's row in time, before its key.
_PLACE = ("day", "month")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RollUp:
    """Refresh the alert rollups; planned for ``at``."""

    at: str


ROLL_UP = JobKind("metrics.roll_up", RollUp)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How a period is read: covered whole days [first, until) from the rollups, if any,
    and the rest from the rows, as filters of their own."""

    days: tuple[date, date] | None
    rows: tuple[Filters, ...]


def covered(session: Session, family: str) -> tuple[date, date] | None:
    """The days a family's rollups cover, [from, until); None before its first run."""
    state = session.get(RollupState, family)
    if state is None or state.covered_from is None or state.covered_until is None:
        return None
    return state.covered_from, state.covered_until


def _first_whole_day(instant: datetime) -> date:
    day = instant.astimezone(UTC).date()
    return day if midnight(day) == instant else day + timedelta(days=1)


def plan(session: Session, family: str, filters: Filters) -> Plan:
    """Which days of ``filters``' period a family's rollups answer, and what the rows must."""
    span = covered(session, family)
    if span is None or filters.severities or filters.sources:
        return Plan(None, (filters,))
    first = span[0] if filters.start is None else max(span[0], _first_whole_day(filters.start))
    until = span[1] if filters.end is None else min(span[1], filters.end.astimezone(UTC).date())
    if first >= until:
        return Plan(None, (filters,))
    rows = []
    if filters.start is None or filters.start < midnight(first):
        rows.append(replace(filters, end=midnight(first)))
    if filters.end is None or filters.end > midnight(until):
        rows.append(replace(filters, start=midnight(until)))
    return Plan((first, until), tuple(rows))


# --- counting --------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """One rollup: its table, and the statement that counts a period's rows for it."""

    #: The family it is kept with (its state's name: which days are covered).
    family: str
    table: type[Any]
    #: The rows' counts over a period, grouped by the rollup's key after ``day``.
    query: Callable[[Filters], Select[*tuple[Any, ...]]]
    #: The rows' table, and its index by time: SQLite is told to read the part days
    #: around the covered ones from it (else it walks a by-service index, every row).
    rows: Table
    by_time: str


def parts(rollup: Counted) -> tuple[Table, list[Column[Any]], list[Column[Any]]]:
    """The rollup's table, its key columns (after the day and month) and its counts."""
    table: Table = rollup.table.__table__
    keys = [column for column in table.primary_key.columns if column.name not in _PLACE]
    measures = [
        column for column in table.columns if column.name not in _PLACE and column not in keys
    ]
    return table, keys, measures


def _months(first: date, until: date) -> tuple[date, date]:
    """The whole months within [first, until): [from the first one's 1st, until the 1st after)."""
    start = first if first.day == 1 else _next_month(first)
    return start, until.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def totals(session: Session, rollup: Counted, filters: Filters) -> dict[tuple[Any, ...], list[int]]:
    """The period's counts by the rollup's key: covered whole months and days from it (in
    one grouped read), the rest from the rows."""
    table, keys, measures = parts(rollup)
    found: dict[tuple[Any, ...], list[int]] = {}

    def add(rows: Iterable[Any]) -> None:
        for row in rows:
            key, values = tuple(row[: len(keys)]), row[len(keys) :]
            into = found.setdefault(key, [0] * len(measures))
            for index, value in enumerate(values):
                into[index] += int(value or 0)

    how = plan(session, rollup.family, filters)
    for part in how.rows:
        query = rollup.query(part)
        if how.days is not None:
            query = query.with_hint(rollup.rows, f"INDEXED BY {rollup.by_time}", "sqlite")
        add(session.execute(query))
    if how.days is not None:
        first, until = how.days
        day, month = table.c.day, table.c.month
        months = _months(first, until)
        if months[0] < months[1]:
            where = or_(
                and_(month.is_(True), day >= months[0], day < months[1]),
                and_(month.is_(False), day >= first, day < months[0]),
                and_(month.is_(False), day >= months[1], day < until),
            )
        else:
            where = and_(month.is_(False), day >= first, day < until)
        query = select(*keys, *(func.sum(column) for column in measures)).where(where)
        if filters.services is not None:
            query = query.where(table.c.service.in_(filters.services))
        add(session.execute(query.group_by(*keys)))
    return found


def _count_day(session: Session, rollup: Counted, day: date) -> None:
    period = Filters(start=midnight(day), end=midnight(day + timedelta(days=1)))
    counts = rollup.query(period).subquery()
    columns = [column.name for column in rollup.table.__table__.columns]
    counting = select(literal(day, Date()), literal(False, Boolean()), *counts.c)
    session.execute(insert(rollup.table).from_select(columns, counting))


def _sum_month(session: Session, rollup: Counted, start: date) -> None:
    """The month's row: the sums of its days' rows."""
    table, keys, measures = parts(rollup)
    days = (
        select(
            literal(start, Date()),
            literal(True, Boolean()),
            *keys,
            *(func.sum(column) for column in measures),
        )
        .where(table.c.month.is_(False), table.c.day >= start, table.c.day < _next_month(start))
        .group_by(*keys)
    )
    columns = ["day", "month", *(column.name for column in keys), *(c.name for c in measures)]
    session.execute(insert(table).from_select(columns, days))


def count_days(
    session: Session, rollups: Iterable[Counted], days: Iterable[date], span: tuple[date, date]
) -> int:
    """Replace the rollups' rows of ``days`` with counts of the rows, and the rows of their
    months that lie wholly in ``span`` (the covered days) with their days' sums; how many
    days."""
    counted = 0
    rollups = list(rollups)
    months: set[date] = set()
    for first, until in _ranges(sorted(set(days))):
        for rollup in rollups:
            table = rollup.table
            session.execute(
                delete(table).where(table.month.is_(False), table.day >= first, table.day < until)
            )
            day = first
            while day < until:
                _count_day(session, rollup, day)
                months.add(day.replace(day=1))
                day += timedelta(days=1)
        counted += (until - first).days
    whole = _months(*span)
    for start in sorted(months):
        for rollup in rollups:
            table = rollup.table
            session.execute(delete(table).where(table.month.is_(True), table.day == start))
            if whole[0] <= start < whole[1]:
                _sum_month(session, rollup, start)
    return counted


def _ranges(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as [first, until) ranges."""
    start = previous = None
    for day in days:
        if start is None or previous is None:
            start = previous = day
        elif day == previous + timedelta(days=1):
            previous = day
        else:
            yield start, previous + timedelta(days=1)
            start = previous = day
    if start is not None and previous is not None:
        yield start, previous + timedelta(days=1)


@dataclass(frozen=True)
class Family:
    """Rollups kept together over the same rows: one state, one refresh."""

    name: str
    rollups: tuple[Counted, ...]
    #: The day of the first row, if any: history is counted back to it.
    first_day: Callable[[Session], date | None]
    #: The days whose counts changes since then may have changed.
    changed_days: Callable[[Session, datetime], Iterable[date]]


def _locked_state(session: Session, name: str) -> RollupState:
    state = session.scalars(
        select(RollupState).where(RollupState.name == name).with_for_update()
    ).one_or_none()
    if state is None:
        state = RollupState(name=name)
        session.add(state)
        session.flush()
    return state


def refresh(
    session: Session, family: Family, now: datetime, *, chunk: int | None = CHUNK_DAYS
) -> int:
    """One run: the days that ended, the days that changed, the next ``chunk`` days of
    history (None: all of it). How many days were counted."""
    state = _locked_state(session, family.name)
    today = (now - SETTLE).astimezone(UTC).date()
    first = state.covered_from or today
    until = state.covered_until or today
    days: set[date] = set()
    if until < today:
        days.update(until + timedelta(days=n) for n in range((today - until).days))
        until = today
    if state.refreshed_at is not None:
        changed = family.changed_days(session, state.refreshed_at - SLACK)
        days.update(day for day in changed if first <= day < until)
    start = family.first_day(session)
    if start is not None and start < first:
        back = start if chunk is None else max(start, first - timedelta(days=chunk))
        days.update(back + timedelta(days=n) for n in range((first - back).days))
        first = back
    elif chunk is not None and first < until:
        at = state.recounted_until or first
        if at >= until:
            at = first
        end = min(until, at + timedelta(days=chunk))
        days.update(at + timedelta(days=n) for n in range((end - at).days))
        state.recounted_until = end
    counted = count_days(session, family.rollups, days, (first, until))
    state.covered_from, state.covered_until, state.refreshed_at = first, until, now
    return counted


# --- the job ---------------------------------------------------------------------------


def next_run(after: datetime) -> datetime:
    """The next hour (UTC) after ``after``."""
    return _EPOCH + ((after - _EPOCH) // EVERY + 1) * EVERY


def plan_next(session: Session, now: datetime) -> None:
    """Queue the run of the next hour, once whoever asks (its key holds the hour)."""
    at = next_run(now)
    when = at.isoformat()
    jobs.enqueue(
        session,
        ROLL_UP,
        RollUp(when),
        now=now,
        run_at=at,
        idempotency_key=f"{ROLL_UP.name}:{when}",
    )


def register(registry: HandlerRegistry, families: Iterable[Family]) -> None:
    kept = list(families)

    def roll_up(ctx: JobContext, payload: RollUp) -> None:
        now = ctx.clock.now()
        with ctx.transaction() as session:
            for family in kept:
                refresh(session, family, now)
            plan_next(session, max(now, datetime.fromisoformat(payload.at)))

    registry.register(ROLL_UP, roll_up)
