"""On-call load: pages per person, and how many came after hours.

A page is one person asked to respond by one escalation step
(:class:`tocsin.paging.tables.Page`); it counts in the period it was sent in.
**After hours** means outside 08:00-18:00, Monday to Friday, in the person's
own time zone (their user's ``time_zone``; UTC for a name that is no user),
as :func:`tocsin.domain.metric_calendar.after_hours` defines it: the same
fixed working day for everyone, so that people and teams compare. (The
on-call report of ``tocsin oncall report`` uses each person's configured
working hours instead, for compensation.)

The database counts, one query per time zone: the local reading of each page
is its epoch second plus the zone's offset then (one ``CASE`` over the zone's
changes of offset in the period), and its hour of the week says whether it
came after hours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

import tocsin.db.hints  # noqa: F401 (SQLite's INDEXED BY)
from tocsin.auth.tables import User
from tocsin.domain import metric_calendar as calendar
from tocsin.metrics import conditions
from tocsin.metrics.expressions import first_and_last, integer, local_seconds
from tocsin.metrics.filters import Filters
from tocsin.paging.tables import Page

UTC_NAME = "UTC"
INDEX = "ix_pages_user_created"


@dataclass(frozen=True)
class PersonPages:
    person: str
    time_zone: str
    pages: int
    after_hours: int


def _zones(session: Session) -> dict[str, str]:
    """Each user's time zone, when it is a zone this machine knows (else UTC)."""
    zones = {}
    for name, zone in session.execute(select(User.name, User.time_zone)):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            zone = UTC_NAME
        zones[name] = zone
    return zones


def _bounds(session: Session, filters: Filters) -> tuple[datetime, datetime] | None:
    first, last = filters.start, filters.end
    if first is None or last is None:
        earliest, latest = first_and_last(session, Page.created_at)
        if earliest is None or latest is None:
            return None
        first = first or earliest
        last = last or latest + timedelta(seconds=1)
    assert first is not None and last is not None
    return first.astimezone(UTC), last.astimezone(UTC)


def _after_hours(zone: ZoneInfo, first: datetime, last: datetime) -> ColumnElement[int]:
    """1 for a page sent after hours in ``zone``, else 0: its local hour of the week
    looked up in :func:`~tocsin.domain.metric_calendar.after_hours_by_hour`."""
    local = local_seconds(Page.created_at, calendar.offsets(zone, first, last))
    hour = (local - integer(calendar.EPOCH_MONDAY)) % integer(calendar.WEEK) // integer(3600)
    flag = func.substr(literal(calendar.after_hours_by_hour(), Text), cast(hour, Integer) + 1, 1)
    return cast(flag, Integer)


def oncall_load(session: Session, filters: Filters) -> list[PersonPages]:
    """Pages per person over the period (pages of drills left out), most paged first.

    One count per time zone, each over the pages of the people who live in it
    (UTC: everyone else), read from the (user, sent) index.
    """
    bounds = None if filters.nothing_matches else _bounds(session, filters)
    if bounds is None:
        return []
    zones = _zones(session)
    people: dict[str, list[str]] = defaultdict(list)
    for person, zone in zones.items():
        if zone != UTC_NAME:
            people[zone].append(person)
    elsewhere = sorted(name for names in people.values() for name in names)
    asked = [(name, Page.user_name.in_(sorted(names))) for name, names in people.items()]
    asked.append((UTC_NAME, Page.user_name.not_in(elsewhere)))
    where = conditions.pages(filters)
    found: list[PersonPages] = []
    for zone, whose in asked:
        after = _after_hours(ZoneInfo(zone), *bounds)
        query = (
            select(Page.user_name, func.count(), func.sum(after))
            .where(whose, *where)
            .group_by(Page.user_name)
            .with_hint(Page.__table__, f"INDEXED BY {INDEX}", dialect_name="sqlite")
        )
        found.extend(
            PersonPages(person, zones.get(person, UTC_NAME), int(count), int(late or 0))
            for person, count, late in session.execute(query)
        )
    return sorted(found, key=lambda each: (-each.pages, each.person))
