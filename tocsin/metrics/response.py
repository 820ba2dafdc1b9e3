"""Response times: MTTD, MTTA and MTTR as mean, median and 90th percentile, with counts.

The definitions are :mod:`tocsin.domain.lifecycle`'s (DESIGN.md): MTTD =
detected - impact started, only for incidents whose impact start was recorded;
MTTA = first acknowledgement (the first time the incident left triage) -
detected; MTTR = resolved - detected, for resolved or closed incidents. Drills
are left out. The mean misleads on a heavy tail, so all three figures are given.

Each metric is three reads in the database, never a list of every duration:
its count and sum (the mean), then the values at the ranks
:func:`tocsin.domain.lifecycle.ranks` names, read in order from the metric's
expression index (:mod:`tocsin.metrics.expressions`) up to the rank. With a
service or team filter, SQLite starts from the services' incidents instead
(by their ids), which is cheaper than reading the whole index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from tocsin.domain.lifecycle import DurationStats, ranks, stats_from_ranks
from tocsin.incidents.tables import Incident
from tocsin.metrics import conditions
from tocsin.metrics.expressions import RESPONSE_TIMES, ResponseTime
from tocsin.metrics.filters import Filters

NONE = DurationStats(count=0, mean=None, median=None, p90=None)
Hinted = TypeVar("Hinted", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class Response:
    #: Incidents that match (drills excluded), whether or not each metric applies.
    incidents: int
    mttd: DurationStats
    mtta: DurationStats
    mttr: DurationStats


def _micros(value: Any) -> timedelta:
    return timedelta(microseconds=int(value))


def _hinted(query: Hinted, metric: ResponseTime, filters: Filters) -> Hinted:
    """SQLite's planner, without statistics, reads the wrong index: name the right one."""
    hint = "NOT INDEXED" if filters.services is not None else f"INDEXED BY {metric.index}"
    return query.with_hint(Incident, hint, dialect_name="sqlite")


def ordered(metric: ResponseTime, filters: Filters) -> Select[int]:
    """The metric's durations over the incidents ``filters`` selects, shortest first."""
    value = metric.duration()
    query = select(value).select_from(Incident).where(*_where(metric, filters))
    return _hinted(query, metric, filters).order_by(value)


def _where(metric: ResponseTime, filters: Filters) -> list[ColumnElement[bool]]:
    return [*conditions.incidents(filters), *metric.applies()]


def stats(session: Session, metric: ResponseTime, filters: Filters) -> DurationStats:
    """One metric over the incidents ``filters`` selects."""
    if filters.nothing_matches:
        return NONE
    value = metric.duration()
    totals = select(func.count(), func.sum(value)).select_from(Incident)
    totals = _hinted(totals.where(*_where(metric, filters)), metric, filters)
    count, total = session.execute(totals).one()
    if not count:
        return NONE
    at = ranks(count)
    middle = session.scalars(
        ordered(metric, filters)
        .offset(at.lower_middle - 1)
        .limit(at.upper_middle - at.lower_middle + 1)
    ).all()
    p90 = session.scalars(ordered(metric, filters).offset(at.p90 - 1).limit(1)).one()
    return stats_from_ranks(
        count, _micros(total), _micros(middle[0]), _micros(middle[-1]), _micros(p90)
    )


def response(session: Session, filters: Filters) -> Response:
    """MTTD, MTTA and MTTR over the incidents detected in the period that match ``filters``."""
    if filters.nothing_matches:
        return Response(0, NONE, NONE, NONE)
    matched = select(func.count()).select_from(Incident).where(*conditions.incidents(filters))
    found = {metric.name: stats(session, metric, filters) for metric in RESPONSE_TIMES}
    return Response(
        incidents=session.scalar(matched) or 0,
        mttd=found["mttd"],
        mtta=found["mtta"],
        mttr=found["mttr"],
    )
