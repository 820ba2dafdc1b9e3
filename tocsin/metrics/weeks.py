"""Weekly buckets counted by the database: the week of a time column, in a zone.

A week runs from Monday 00:00 to the next Monday 00:00 in the zone asked for
(:mod:`tocsin.domain.metric_calendar`). The week's number is integer
arithmetic on the local epoch second (:func:`tocsin.metrics.expressions.local_seconds`),
so a report groups by it in one statement, on either database. Weeks without
rows are filled in with zeros over the period, or, when the period is open,
from the first row to the last row or ``now``, whichever is later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute, Session

from tocsin.domain import metric_calendar as calendar
from tocsin.metrics.expressions import first_and_last, week_number
from tocsin.metrics.filters import Filters
from tocsin.metrics.frequency import weeks as spans


@dataclass(frozen=True)
class Weeks:
    """The weeks a weekly series covers, and the SQL that puts a row in one."""

    numbers: list[int]
    #: The week number of the column's time; empty when there is no week.
    number: ColumnElement[int] | None


def label(number: int) -> str:
    """The week's ISO 8601 name: 2026-W23."""
    return calendar.iso_week(number)


def monday(number: int) -> date:
    return calendar.week_start(number)


Out = TypeVar("Out", bound=BaseModel)
Counted = TypeVar("Counted")


def answered(
    model: type[Out],
    series: Sequence[tuple[int, Counted]],
    values: Callable[[Counted], dict[str, Any]],
) -> list[Out]:
    """An answer's weeks: each one's ``week`` (its ISO name), ``start`` (its Monday) and counts."""
    return [
        model(week=label(number), start=monday(number), **values(counts))
        for number, counts in series
    ]


def covering(
    session: Session,
    time: InstrumentedAttribute[datetime],
    filters: Filters,
    now: datetime,
) -> Weeks:
    """The weeks of the period (or from the column's first value to its last or now)."""
    first, last = filters.start, filters.end
    if first is None or last is None:
        earliest, latest = first_and_last(session, time)
        first = first if first is not None else earliest
        if first is None:
            return Weeks([], None)
        last = last or max(now, latest or now) + timedelta(microseconds=1)
    first, last = first.astimezone(UTC), last.astimezone(UTC)
    if last <= first:
        return Weeks([], None)
    numbers = [number for number, _, _ in spans(filters.zone, first, last)]
    return Weeks(numbers, week_number(time, filters.zone, first, last))
