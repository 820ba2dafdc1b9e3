"""Response times: MTTD, MTTA and MTTR as mean, median and 90th percentile, with counts.

The definitions are :mod:`tocsin.domain.lifecycle`'s (DESIGN.md): MTTD =
detected - impact started, only for incidents whose impact start was recorded;
MTTA = first acknowledgement (the first time the incident left triage) -
detected; MTTR = resolved - detected, for resolved or closed incidents. Drills
are left out. The mean misleads on a heavy tail, so all three figures are given.

Two ways to the same figures, chosen by how many incidents match:

- **Read in order from the indexes.** Never a list of every duration: the
  counts and sums (the means) of all three come from one read of a summary
  index; then each metric's values at the ranks
  :func:`tocsin.domain.lifecycle.ranks` names are read in order from the
  metric's expression index (:mod:`tocsin.metrics.expressions`) up to the
  rank. The period, severity and source are checked in the indexes; their
  size bounds the cost, whatever the filters.
- **A bounded projection.** A service or team filter matching at most
  :data:`~tocsin.metrics.conditions.PROJECTED_AT_MOST` incidents reads those
  incidents by id (from the
  services' index) and their three durations at once, and
  :func:`tocsin.domain.lifecycle.duration_stats` computes the figures: cheaper
  than checking every index entry against the services' incidents.

SQLite is told which way (:mod:`tocsin.db.hints`): without statistics it would
scan the table and compute each duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

import tocsin.db.hints  # noqa: F401 (SQLite's INDEXED BY and NOT INDEXED)
from tocsin.domain.lifecycle import DurationStats, micros_stats, ranks, stats_from_ranks
from tocsin.incidents.tables import Incident
from tocsin.metrics import conditions
from tocsin.metrics.expressions import MTTA, MTTD, MTTR, RESPONSE_TIMES, ResponseTime
from tocsin.metrics.filters import Filters

NONE = DurationStats(count=0, mean=None, median=None, p90=None)
#: What a period's counts and sums are read from (migration 0011).
SUMMARY_INDEX = "ix_incidents_metrics"
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


def _hinted(query: Hinted, hint: str) -> Hinted:
    return query.with_hint(Incident.__table__, hint, dialect_name="sqlite")


def _where(metric: ResponseTime, filters: Filters) -> list[ColumnElement[bool]]:
    return [*conditions.incidents(filters), *metric.applies()]


def ordered(metric: ResponseTime, filters: Filters, *, longest_first: bool = False) -> Select[int]:
    """The metric's durations over the incidents ``filters`` selects, shortest first
    (or longest first), read from the metric's index."""
    value = metric.duration()
    query = select(value).select_from(Incident).where(*_where(metric, filters))
    return _hinted(query, f"INDEXED BY {metric.index}").order_by(
        value.desc() if longest_first else value
    )


def totals_query(filters: Filters) -> Select[*tuple[Any, ...]]:
    """The count of matching incidents, then each metric's count and sum."""
    columns: list[ColumnElement[Any]] = [func.count()]
    for metric in RESPONSE_TIMES:
        columns += [func.count(metric.present()), func.sum(metric.counted())]
    query = select(*columns).select_from(Incident).where(*conditions.incidents(filters))
    hint = "NOT INDEXED" if filters.services is not None else f"INDEXED BY {SUMMARY_INDEX}"
    return _hinted(query, hint)


def totals(session: Session, filters: Filters) -> tuple[int, dict[str, tuple[int, Any]]]:
    """How many incidents match, and each metric's count and sum, in one read.

    Without a service filter the summary index holds all of it; with one, the
    services' incidents are read by id.
    """
    incidents, *sums = session.execute(totals_query(filters)).one()
    found = {
        metric.name: (int(sums[2 * index] or 0), sums[2 * index + 1])
        for index, metric in enumerate(RESPONSE_TIMES)
    }
    return int(incidents or 0), found


def walked(
    session: Session, metric: ResponseTime, filters: Filters, count: int, total: Any
) -> DurationStats:
    """One metric from its count and sum and the values at its ranks, read from its index."""
    if not count:
        return NONE
    at = ranks(count)
    middle = session.scalars(
        ordered(metric, filters)
        .offset(at.lower_middle - 1)
        .limit(at.upper_middle - at.lower_middle + 1)
    ).all()
    # The 90th percentile is read from the longer end: a tenth of the index, not nine.
    from_top = count - at.p90
    p90 = session.scalars(
        ordered(metric, filters, longest_first=True).offset(from_top).limit(1)
    ).one()
    return stats_from_ranks(
        count, _micros(total), _micros(middle[0]), _micros(middle[-1]), _micros(p90)
    )


def projected(session: Session, filters: Filters) -> tuple[int, dict[str, DurationStats]]:
    """How many incidents match, and the three metrics from their durations, read by id."""
    query = select(Incident.status, MTTD.duration(), MTTA.duration(), MTTR.duration()).where(
        *conditions.incidents(filters)
    )
    rows = session.execute(_hinted(query, "NOT INDEXED")).all()
    resolved = [row[3] for row in rows if row[0] in MTTR.statuses and row[3] is not None]
    return len(rows), {
        MTTD.name: micros_stats(row[1] for row in rows if row[1] is not None),
        MTTA.name: micros_stats(row[2] for row in rows if row[2] is not None),
        MTTR.name: micros_stats(resolved),
    }


def response(session: Session, filters: Filters) -> Response:
    """MTTD, MTTA and MTTR over the incidents detected in the period that match ``filters``."""
    if filters.nothing_matches:
        return Response(0, NONE, NONE, NONE)
    if filters.services is not None and conditions.few_incidents(session, filters):
        incidents, found = projected(session, filters)
        return Response(incidents, found["mttd"], found["mtta"], found["mttr"])
    incidents, sums = totals(session, filters)
    return Response(
        incidents,
        *(walked(session, metric, filters, *sums[metric.name]) for metric in RESPONSE_TIMES),
    )
