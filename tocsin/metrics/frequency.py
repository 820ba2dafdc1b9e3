"""Incident frequency: incidents per ISO week, by severity and by service.

A week runs from Monday 00:00 to the next Monday 00:00 in the zone asked for
(UTC unless one is), and an incident counts in the week it was detected. By
service, an incident counts once for each service it affected, so a week's
services can add up to more than its incidents; with a service or team filter
only those services are shown, and incidents that name no service count by
severity only. Weeks without incidents are filled in with zeros, from the
start of the period (or the first incident) to its end (or now).

Where each week starts is worked out here, with the zone's rules
(:mod:`tocsin.domain.metric_calendar`), so the database needs none: each
week is one range of the summary index (drill, detected_at, severity...),
counted by severity and by service (:func:`_weekly`). A service or team filter with at most
:data:`~tocsin.metrics.conditions.PROJECTED_AT_MOST` incidents has them read
by id, at once, and grouped by week; beyond that, each week's incidents are
probed for their services.

Weeks counted in UTC without a filter (the usual question, and the costly one
over years) read their days from the rollups the ``metrics.roll_up`` job
keeps (:mod:`tocsin.metrics.rollups`: incidents per UTC day by severity and
source, and by service), and count from the incidents only what they do not
cover yet (today) and the period's part days. In another zone a week starts
inside a UTC day, so its weeks are counted from the incidents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    column,
    func,
    select,
    values,
)
from sqlalchemy.orm import Session

import tocsin.db.hints  # noqa: F401 (SQLite's INDEXED BY)
from tocsin.db.types import UTCDateTime
from tocsin.domain import metric_calendar as calendar
from tocsin.domain.refusals import Invalid
from tocsin.incidents import configured
from tocsin.incidents.tables import Incident, IncidentService
from tocsin.metrics import conditions, rollups
from tocsin.metrics.expressions import first_and_last, week_number
from tocsin.metrics.filters import Filters
from tocsin.metrics.rollups import Counted, Family
from tocsin.metrics.tables import IncidentDay, IncidentServiceDay

#: The longest weekly series answered: about 21 years.
MAX_WEEKS = 1100
WEEK_INDEX = "ix_incidents_metrics"


@dataclass(frozen=True)
class Week:
    number: int
    #: The Monday it starts on, in the zone asked for.
    start: date
    #: Its ISO 8601 name: 2026-W23.
    label: str
    total: int
    by_severity: dict[str, int]
    by_service: dict[str, int]


@dataclass(frozen=True)
class Frequency:
    zone: str
    weeks: list[Week]
    #: Every level seen, most severe first (the configured order), then any no longer configured.
    severities: list[str]
    #: Every service seen, most incidents first.
    services: list[str]
    total: int


def _bounds(session: Session, filters: Filters, now: datetime) -> tuple[datetime, datetime] | None:
    """The instants the weeks must cover: the period, or the incidents' first and last."""
    first, last = filters.start, filters.end
    if first is None or last is None:
        earliest, latest = first_and_last(session, Incident.detected_at, Incident.drill.is_(False))
        if first is None:
            if earliest is None:
                return None
            first = earliest
        if last is None:
            last = max(now, latest or now) + timedelta(microseconds=1)
    assert first is not None and last is not None
    return first.astimezone(UTC), last.astimezone(UTC)


def _monday(number: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(calendar.week_start(number), time(), tzinfo=zone).astimezone(UTC)


def weeks(
    zone: ZoneInfo, first: datetime, last: datetime
) -> Iterator[tuple[int, datetime, datetime]]:
    """Each week touching [first, last): its number and its part of the range, in UTC."""
    number = calendar.week_number(calendar.local_second(first, zone))
    final = calendar.week_number(calendar.local_second(last - timedelta(microseconds=1), zone))
    if final - number >= MAX_WEEKS:
        raise Invalid(
            "from",
            f"a weekly series spans at most {MAX_WEEKS} weeks (about 21 years); "
            "give a later from or an earlier to",
            where="query",
        )
    for each in range(number, final + 1):
        yield each, max(first, _monday(each, zone)), min(last, _monday(each + 1, zone))


def _weekly(
    session: Session, filters: Filters, spans: list[tuple[int, datetime, datetime]]
) -> list[tuple[dict[str, int], dict[str, int]]]:
    """Each week's incidents by severity and by service.

    SQLite sorts every row it groups, so it is asked week by week (two
    statements, run once a week, each a range of the summary index).
    PostgreSQL hashes, and plans each statement anew: it is asked once, the
    incidents joined to the weeks (each week a range of the same index).
    """
    if session.get_bind().dialect.name == "postgresql":
        return _joined(session, filters, spans)
    where = [
        *conditions.incidents(replace(filters, start=None, end=None), probe=True),
        Incident.detected_at >= bindparam("start", type_=UTCDateTime()),
        Incident.detected_at < bindparam("end", type_=UTCDateTime()),
    ]
    levels = (
        select(Incident.severity, func.count())
        .where(*where)
        .group_by(Incident.severity)
        .with_hint(Incident.__table__, f"INDEXED BY {WEEK_INDEX}", dialect_name="sqlite")
    )
    services = _by_service(select(IncidentService.name, func.count()), filters, where)
    counted = []
    for _, start, end in spans:
        week = {"start": start, "end": end}
        by_severity = {str(level): int(n) for level, n in session.execute(levels, week)}
        by_service = {str(name): int(n) for name, n in session.execute(services, week)}
        counted.append((by_severity, by_service))
    return counted


def _by_service(
    query: Select[*tuple[Any, ...]], filters: Filters, where: list[ColumnElement[bool]]
) -> Select[*tuple[Any, ...]]:
    """``query`` over each matching incident's services (only the filter's, if any)."""
    query = query.join(Incident, Incident.id == IncidentService.incident_id).where(*where)
    if filters.services is not None:
        query = query.where(IncidentService.name.in_(filters.services))
    return query.group_by(*query.selected_columns[:-1])


def _joined(
    session: Session, filters: Filters, spans: list[tuple[int, datetime, datetime]]
) -> list[tuple[dict[str, int], dict[str, int]]]:
    """Every week's counts in one statement per breakdown: the incidents joined to the weeks."""
    weeks = (
        values(column("n", Integer), column("s", UTCDateTime()), column("e", UTCDateTime()))
        .data(spans)
        .cte("weeks")
    )
    where = [
        *conditions.incidents(replace(filters, start=None, end=None), probe=True),
        Incident.detected_at >= weeks.c.s,
        Incident.detected_at < weeks.c.e,
    ]
    levels = (
        select(weeks.c.n, Incident.severity, func.count())
        .where(*where)
        .group_by(weeks.c.n, Incident.severity)
    )
    services = _by_service(select(weeks.c.n, IncidentService.name, func.count()), filters, where)
    position = {number: index for index, (number, _, _) in enumerate(spans)}
    counted: list[tuple[dict[str, int], dict[str, int]]] = [({}, {}) for _ in spans]
    for side, query in ((0, levels), (1, services)):
        for number, key, count in session.execute(query):
            counted[position[number]][side][str(key)] = int(count)
    return counted


def _projected(
    session: Session, filters: Filters, spans: list[tuple[int, datetime, datetime]]
) -> list[tuple[dict[str, int], dict[str, int]]]:
    """Every week's counts from the matching incidents, read once by id and grouped by
    their week's number (worked out in SQL from the zone's offsets over the period)."""
    position = {number: index for index, (number, _, _) in enumerate(spans)}
    counted: list[tuple[dict[str, int], dict[str, int]]] = [({}, {}) for _ in spans]
    week = week_number(Incident.detected_at, filters.zone, spans[0][1], spans[-1][2]).label("week")
    where = conditions.incidents(filters)
    levels = select(week, Incident.severity, func.count()).where(*where)
    services = (
        select(week, IncidentService.name, func.count())
        .join(IncidentService, IncidentService.incident_id == Incident.id)
        .where(*where, IncidentService.name.in_(filters.services or ()))
    )
    for side, query in ((0, levels), (1, services)):
        grouped = query.group_by(*query.selected_columns[:-1]).with_hint(
            Incident.__table__, "NOT INDEXED", dialect_name="sqlite"
        )
        for number, key, count in session.execute(grouped):
            counted[position[int(number)]][side][str(key)] = int(count)
    return counted


# --- the rollups ----------------------------------------------------------------------

INCIDENTS = "incidents"


def level_counts(filters: Filters) -> Select[*tuple[Any, ...]]:
    """Incidents per (severity, source) over ``filters`` (the columns of
    :class:`~tocsin.metrics.tables.IncidentDay`)."""
    query = select(Incident.severity, Incident.source, func.count())
    return query.where(*conditions.incidents(filters)).group_by(Incident.severity, Incident.source)


def service_counts(filters: Filters) -> Select[*tuple[Any, ...]]:
    """Incidents per affected service over ``filters`` (those of
    :class:`~tocsin.metrics.tables.IncidentServiceDay`)."""
    query = select(IncidentService.name, func.count()).join(
        Incident, Incident.id == IncidentService.incident_id
    )
    return query.where(*conditions.incidents(filters)).group_by(IncidentService.name)


LEVEL_DAYS = Counted(
    INCIDENTS,
    IncidentDay,
    level_counts,
    Incident.__table__,  # type: ignore[arg-type]
    WEEK_INDEX,
)
SERVICE_DAYS = Counted(
    INCIDENTS,
    IncidentServiceDay,
    service_counts,
    Incident.__table__,  # type: ignore[arg-type]
    WEEK_INDEX,
)


def _changed_days(session: Session, since: datetime) -> Iterator[date]:
    """The days of the incidents changed since ``since`` (every change of an incident, its
    severity or services included, marks it updated; one whose detection time was moved
    leaves its former day to the recount in turn)."""
    for detected in session.scalars(
        select(Incident.detected_at).where(Incident.updated_at >= since)
    ):
        yield detected.astimezone(UTC).date()


def _first_day(session: Session) -> date | None:
    first, _ = first_and_last(session, Incident.detected_at, Incident.drill.is_(False))
    return None if first is None else first.astimezone(UTC).date()


FAMILY = Family(INCIDENTS, (LEVEL_DAYS, SERVICE_DAYS), _first_day, _changed_days)


def _rolled_up(filters: Filters, spans: list[tuple[int, datetime, datetime]]) -> bool:
    """Whether the rollups can give these weeks: no filter they do not keep, and weeks
    that start at a UTC midnight (a zone at UTC+0 all through)."""
    if filters.severities or filters.sources or filters.services is not None:
        return False
    offsets = calendar.offsets(filters.zone, spans[0][1], spans[-1][2])
    return all(span.offset == 0 for span in offsets)


def _from_rollups(
    session: Session, filters: Filters, spans: list[tuple[int, datetime, datetime]]
) -> list[tuple[dict[str, int], dict[str, int]]]:
    """Each week's counts: its covered whole days from the rollups, the rest (the period's
    part days, days not covered yet) counted from the incidents."""
    period = replace(filters, start=spans[0][1], end=spans[-1][2])
    days = rollups.plan(session, INCIDENTS, period).days
    if days is None:
        return _weekly(session, filters, spans)
    first, until = days
    position = {number: index for index, (number, _, _) in enumerate(spans)}
    counted: list[tuple[dict[str, int], dict[str, int]]] = [({}, {}) for _ in spans]
    for side, table, key in (
        (0, IncidentDay, IncidentDay.severity),
        (1, IncidentServiceDay, IncidentServiceDay.service),
    ):
        rows = session.execute(
            select(table.day, key, func.sum(table.incidents))
            .where(table.month.is_(False), table.day >= first, table.day < until)
            .group_by(table.day, key)
        )
        for day, name, count in rows:
            week = calendar.week_number(calendar.epoch_second(rollups.midnight(day)))
            into = counted[position[week]][side]
            into[str(name)] = into.get(str(name), 0) + int(count)
    start, end = rollups.midnight(first), rollups.midnight(until)
    rest = [(n, s, min(e, start)) for n, s, e in spans if s < start]
    rest += [(n, max(s, end), e) for n, s, e in spans if e > end]
    parts = _weekly(session, filters, rest) if rest else []
    for (number, _, _), (levels, services) in zip(rest, parts, strict=True):
        for side, found in ((0, levels), (1, services)):
            into = counted[position[number]][side]
            for name, count in found.items():
                into[name] = into.get(name, 0) + count
    return counted


def _ordered_levels(session: Session, seen: Iterable[str]) -> list[str]:
    order = [level.level for level in configured.scale(session)]
    found = set(seen)
    return [level for level in order if level in found] + sorted(found - set(order))


def frequency(session: Session, filters: Filters, now: datetime) -> Frequency:
    """Incidents per week of the period (drills excluded), by severity and by service."""
    bounds = None if filters.nothing_matches else _bounds(session, filters, now)
    if bounds is None:
        return Frequency(str(filters.zone), [], [], [], 0)
    spans = list(weeks(filters.zone, *bounds))
    if not spans:  # the period ends before the first incident
        counted = []
    elif filters.services is not None and conditions.few_incidents(session, filters):
        counted = _projected(session, filters, spans)
    elif _rolled_up(filters, spans):
        counted = _from_rollups(session, filters, spans)
    else:
        counted = _weekly(session, filters, spans)
    found = []
    service_totals: dict[str, int] = defaultdict(int)
    for (number, _, _), (by_severity, by_service) in zip(spans, counted, strict=True):
        for name, count in by_service.items():
            service_totals[name] += count
        found.append(
            Week(
                number=number,
                start=calendar.week_start(number),
                label=calendar.iso_week(number),
                total=sum(by_severity.values()),
                by_severity=by_severity,
                by_service=by_service,
            )
        )
    return Frequency(
        zone=str(filters.zone),
        weeks=found,
        severities=_ordered_levels(
            session, (level for week in found for level in week.by_severity)
        ),
        services=sorted(service_totals, key=lambda name: (-service_totals[name], name)),
        total=sum(week.total for week in found),
    )
