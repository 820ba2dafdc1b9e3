"""Incident frequency: incidents per ISO week, by severity and by service.

A week runs from Monday 00:00 to the next Monday 00:00 in the zone asked for
(UTC unless one is), and an incident counts in the week it was detected. By
service, an incident counts once for each service it affected, so a week's
services can add up to more than its incidents; with a service or team filter
only those services are shown, and incidents that name no service count by
severity only.

The database groups: the week is integer arithmetic on the detection's epoch
second plus the zone's offset at that second (:mod:`tocsin.metrics.expressions`),
so the answer is one row per week and severity or service whatever the number
of incidents. Weeks without incidents are filled in with zeros, from the start
of the period (or the first incident) to its end (or now).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session

from tocsin.domain import metric_calendar as calendar
from tocsin.domain.refusals import Invalid
from tocsin.incidents import configured
from tocsin.incidents.tables import Incident, IncidentService
from tocsin.metrics import conditions
from tocsin.metrics.expressions import local_seconds
from tocsin.metrics.filters import Filters

#: The longest weekly series answered: about 21 years.
MAX_WEEKS = 1100


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


def _integer(value: int) -> ColumnElement[int]:
    """An integer written into the SQL, so a GROUP BY matches its SELECT on every database."""
    return literal_column(str(int(value)), BigInteger)


def _bounds(session: Session, filters: Filters, now: datetime) -> tuple[datetime, datetime] | None:
    """The instants the weeks must cover: the period, or the incidents' first and last."""
    first = filters.start
    last = filters.end
    if first is None or last is None:
        earliest, latest = session.execute(
            select(func.min(Incident.detected_at), func.max(Incident.detected_at)).where(
                Incident.drill.is_(False)
            )
        ).one()
        if first is None:
            if earliest is None:
                return None
            first = earliest
        if last is None:
            last = max(now, latest or now) + timedelta(seconds=1)
    assert first is not None and last is not None
    return first.astimezone(UTC), last.astimezone(UTC)


def _grouped(session: Session, query: Select[int, str]) -> list[tuple[int, str, int]]:
    """(week, key, count) rows of a select of (week, key)."""
    inner = query.subquery()
    week, key = inner.c
    rows = session.execute(select(week, key, func.count()).group_by(week, key))
    return [(int(number), str(name), int(count)) for number, name, count in rows]


def _ordered_levels(session: Session, seen: Iterable[str]) -> list[str]:
    order = [level.level for level in configured.scale(session)]
    found = set(seen)
    return [level for level in order if level in found] + sorted(found - set(order))


def frequency(session: Session, filters: Filters, now: datetime) -> Frequency:
    """Incidents per week of the period (drills excluded), by severity and by service."""
    zone = filters.zone
    bounds = None if filters.nothing_matches else _bounds(session, filters, now)
    if bounds is None:
        return Frequency(str(zone), [], [], [], 0)
    first, last = bounds
    spans = calendar.offsets(zone, first, last)
    first_week = calendar.week_number(calendar.local_second(first, zone))
    last_week = calendar.week_number(calendar.local_second(last - timedelta(microseconds=1), zone))
    if last_week - first_week >= MAX_WEEKS:
        raise Invalid(
            "from",
            f"a weekly series spans at most {MAX_WEEKS} weeks (about 21 years); "
            "give a later from or an earlier to",
            where="query",
        )
    week = (local_seconds(Incident.detected_at, spans) - _integer(calendar.EPOCH_MONDAY)) // (
        _integer(calendar.WEEK)
    )
    where = conditions.incidents(filters)
    by_severity = _grouped(session, select(week, Incident.severity).where(*where))
    by_service_query = (
        select(week, IncidentService.name)
        .join(IncidentService, IncidentService.incident_id == Incident.id)
        .where(*where)
    )
    if filters.services is not None:
        by_service_query = by_service_query.where(IncidentService.name.in_(filters.services))
    by_service = _grouped(session, by_service_query)
    return _assembled(session, str(zone), first_week, last_week, by_severity, by_service)


def _assembled(
    session: Session,
    zone: str,
    first_week: int,
    last_week: int,
    by_severity: list[tuple[int, str, int]],
    by_service: list[tuple[int, str, int]],
) -> Frequency:
    severity_counts: dict[int, dict[str, int]] = defaultdict(dict)
    service_counts: dict[int, dict[str, int]] = defaultdict(dict)
    service_totals: dict[str, int] = defaultdict(int)
    for number, level, count in by_severity:
        severity_counts[number][level] = count
    for number, service, count in by_service:
        service_counts[number][service] = count
        service_totals[service] += count
    weeks = [
        Week(
            number=number,
            start=calendar.week_start(number),
            label=calendar.iso_week(number),
            total=sum(severity_counts[number].values()),
            by_severity=dict(severity_counts[number]),
            by_service=dict(service_counts[number]),
        )
        for number in range(first_week, last_week + 1)
    ]
    return Frequency(
        zone=zone,
        weeks=weeks,
        severities=_ordered_levels(session, (level for _, level, _ in by_severity)),
        services=sorted(service_totals, key=lambda name: (-service_totals[name], name)),
        total=sum(week.total for week in weeks),
    )
