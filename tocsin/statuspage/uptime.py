"""The 90-day bars: each day's worst status and uptime, from the component status history.

Uptime counts a major outage's minutes in full and a partial outage's at 30%,
as Statuspage does; degraded performance and maintenance do not count as
downtime but colour the day. Days are calendar days in the page's time zone;
days before a component existed have no data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.statuspage.components import BADNESS, Component
from tocsin.statuspage.config_schema import ComponentStatus
from tocsin.statuspage.tables import ComponentStatusChange

DAYS = 90
#: How much of a minute of each status counts as down.
DOWNTIME_WEIGHT = {
    ComponentStatus.MAJOR_OUTAGE: 1.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
}


@dataclass(frozen=True)
class Mention:
    """A public incident shown on a day's bar."""

    code: str
    name: str


@dataclass(frozen=True)
class Day:
    day: date
    #: The worst status of the day; None before the component existed.
    status: ComponentStatus | None
    #: Percent, or None without data.
    uptime: float | None
    #: Minutes spent in each status other than operational.
    minutes: tuple[tuple[ComponentStatus, int], ...]
    incidents: tuple[Mention, ...]


@dataclass(frozen=True)
class Bar:
    days: tuple[Day, ...]
    #: Over the days with data.
    uptime: float | None


def _segments(
    session: Session, name: str, start: datetime
) -> list[tuple[datetime, ComponentStatus]]:
    before = session.scalar(
        select(ComponentStatusChange.status)
        .where(ComponentStatusChange.component == name, ComponentStatusChange.started_at < start)
        .order_by(ComponentStatusChange.started_at.desc(), ComponentStatusChange.id.desc())
        .limit(1)
    )
    segments = [(start, ComponentStatus(before or ComponentStatus.OPERATIONAL))]
    rows = session.execute(
        select(ComponentStatusChange.started_at, ComponentStatusChange.status)
        .where(ComponentStatusChange.component == name, ComponentStatusChange.started_at >= start)
        .order_by(ComponentStatusChange.started_at, ComponentStatusChange.id)
    )
    segments.extend((at, ComponentStatus(status)) for at, status in rows)
    return segments


def _minutes(
    segments: Sequence[tuple[datetime, ComponentStatus]], begin: datetime, end: datetime
) -> dict[ComponentStatus, float]:
    spent: dict[ComponentStatus, float] = {}
    for index, (at, status) in enumerate(segments):
        until = segments[index + 1][0] if index + 1 < len(segments) else end
        low, high = max(at, begin), min(until, end)
        if high > low:
            spent[status] = spent.get(status, 0.0) + (high - low).total_seconds() / 60
    return spent


def _day(
    day: date,
    segments: Sequence[tuple[datetime, ComponentStatus]],
    begin: datetime,
    end: datetime,
    incidents: tuple[Mention, ...],
) -> Day:
    spent = _minutes(segments, begin, end)
    total = sum(spent.values())
    if total <= 0:
        return Day(day, None, None, (), incidents)
    down = sum(minutes * DOWNTIME_WEIGHT.get(status, 0.0) for status, minutes in spent.items())
    shown = [status for status, minutes in spent.items() if minutes >= 1 / 60]
    worst = max(shown, key=BADNESS.__getitem__, default=ComponentStatus.OPERATIONAL)
    minutes = tuple(
        (status, round(spent[status]))
        for status in sorted(spent, key=BADNESS.__getitem__, reverse=True)
        if status != ComponentStatus.OPERATIONAL and round(spent[status]) > 0
    )
    return Day(day, worst, round(100 * (1 - down / total), 2), minutes, incidents)


def bar(
    session: Session,
    component: Component,
    now: datetime,
    zone: ZoneInfo,
    mentions: Sequence[tuple[datetime, datetime, Mention]],
) -> Bar:
    """The last :data:`DAYS` days of ``component``, today last.

    ``mentions`` are (start, end, incident) of the public incidents that list it.
    """
    today = now.astimezone(zone).date()
    first = today - timedelta(days=DAYS - 1)
    start = datetime.combine(first, time(), zone)
    segments = _segments(session, component.name, start)
    days = []
    up_minutes = total_minutes = 0.0
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        begin = max(datetime.combine(day, time(), zone), component.created_at)
        end = min(datetime.combine(day + timedelta(days=1), time(), zone), now)
        shown = tuple(
            mention for started, ended, mention in mentions if started < end and ended > begin
        )
        result = (
            _day(day, segments, begin, end, shown)
            if end > begin
            else Day(day, None, None, (), shown)
        )
        days.append(result)
        if result.uptime is not None:
            length = (end - begin).total_seconds() / 60
            up_minutes += length * result.uptime / 100
            total_minutes += length
    overall = round(100 * up_minutes / total_minutes, 2) if total_minutes else None
    return Bar(tuple(days), overall)
