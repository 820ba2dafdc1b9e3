"""What the metrics compute in SQL: response times, and local readings of instants.

Durations are whole microseconds (:class:`tocsin.db.instants.micros_between`),
so sums, medians and percentiles are exact and agree with
:mod:`tocsin.domain.lifecycle` computing over Python timedeltas. Each response
time is the expression of an index on ``incidents`` (declared with the model in
:mod:`tocsin.incidents.tables`, written by migration 0011) whose columns after
the duration are the ones the filters read, so a median or a percentile is an
index read up to its rank.

Instants become whole epoch seconds (:class:`tocsin.db.instants.epoch_second`);
with a zone's offsets (:func:`tocsin.domain.metric_calendar.offsets`) as one
``CASE`` (:func:`local_seconds`), a local reading is integer arithmetic, as
:mod:`tocsin.domain.metric_calendar` defines it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, literal, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tocsin.db.instants import epoch_second, micros_between
from tocsin.domain import metric_calendar as calendar
from tocsin.domain.metric_calendar import OffsetSpan
from tocsin.incidents.tables import Incident


@dataclass(frozen=True)
class ResponseTime:
    """One response-time metric: its name, the incident columns it spans, its index."""

    name: str
    later: InstrumentedAttribute[datetime | None]
    earlier: InstrumentedAttribute[datetime | None]
    #: Only incidents in these statuses have it (MTTR: resolved or closed ones).
    statuses: tuple[str, ...] = ()

    @property
    def index(self) -> str:
        return f"ix_incidents_{self.name}"

    def duration(self) -> ColumnElement[int]:
        """The duration in microseconds (NULL where a time is missing), as the index holds it."""
        return micros_between(self.later, self.earlier)

    def counted(self) -> ColumnElement[int]:
        """The duration where the incident has this metric, else NULL (for sums)."""
        if not self.statuses:
            return self.duration()
        return case((Incident.status.in_(self.statuses), self.duration()))

    def present(self) -> ColumnElement[int]:
        """1 where the incident has this metric, else NULL (for counts): the times'
        presence says so without working the duration out."""
        where = [self.later.is_not(None), self.earlier.is_not(None)]
        if self.statuses:
            where.append(Incident.status.in_(self.statuses))
        return case((and_(*where), 1))

    def applies(self) -> list[ColumnElement[bool]]:
        """The incidents that have this metric."""
        where: list[ColumnElement[bool]] = [self.duration().is_not(None)]
        if self.statuses:
            where.append(Incident.status.in_(self.statuses))
        return where


#: DESIGN.md, as tocsin.domain.lifecycle computes them: MTTD = detected - impact started,
#: MTTA = acknowledged - detected, MTTR = resolved - detected for resolved or closed incidents
#: (a reopened incident keeps its earlier resolved_at, which does not count).
MTTD = ResponseTime("mttd", Incident.detected_at, Incident.impact_started_at)
MTTA = ResponseTime("mtta", Incident.acknowledged_at, Incident.detected_at)
MTTR = ResponseTime("mttr", Incident.resolved_at, Incident.detected_at, ("resolved", "closed"))
RESPONSE_TIMES = (MTTD, MTTA, MTTR)


def offset_seconds(
    time: InstrumentedAttribute[datetime], spans: tuple[OffsetSpan, ...]
) -> ColumnElement[int]:
    """The zone's UTC offset at ``time``, from :func:`offsets` spans.

    The time itself is compared with the instants the offset changes at, which
    costs the database less than working out its epoch second for each change.
    """
    if len(spans) == 1:
        return literal(spans[0].offset, BigInteger)
    whens = [(time < _instant(span.until), span.offset) for span in spans if span.until is not None]
    return case(*whens, else_=spans[-1].offset)


def _instant(second: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=second)


def local_seconds(
    time: InstrumentedAttribute[datetime], spans: tuple[OffsetSpan, ...]
) -> ColumnElement[int]:
    """The epoch second of the local reading of ``time`` in the zone ``spans`` describe."""
    second: ColumnElement[int] = epoch_second(time)
    if len(spans) == 1 and spans[0].offset == 0:
        return second
    return second + offset_seconds(time, spans)


def _integer(value: int) -> ColumnElement[int]:
    """A whole number written into the statement (a constant the database folds)."""
    return literal_column(str(int(value)), BigInteger)


def week_number(
    time: InstrumentedAttribute[datetime], zone: ZoneInfo, first: datetime, last: datetime
) -> ColumnElement[int]:
    """The number of the week (:func:`tocsin.domain.metric_calendar.week_number`) ``time``
    falls in, in ``zone``, for times in [first, last)."""
    local = local_seconds(time, calendar.offsets(zone, first, last))
    return (local - _integer(calendar.EPOCH_MONDAY)) // _integer(calendar.WEEK)


def first_and_last(
    session: Session, time: InstrumentedAttribute[datetime], *where: ColumnElement[bool]
) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest ``time`` of the rows ``where`` selects.

    Asked apart: SQLite reads a min() or a max() alone as one end of an index
    on the column, both together as a scan of every row.
    """
    earliest, latest = (
        session.scalar(select(edge(time)).where(*where)) for edge in (func.min, func.max)
    )
    return earliest, latest


def flags(found: Sequence[ColumnElement[bool]], names: Sequence[str]) -> list[ColumnElement[int]]:
    """Each condition as 1 or 0, labelled with its name: rows a statement adds up."""
    return [case((each, 1), else_=0).label(name) for each, name in zip(found, names, strict=True)]
