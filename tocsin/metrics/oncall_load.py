"""On-call load: pages per person, and how many came after hours.

A page is one person asked to respond by one escalation step
(:class:`tocsin.paging.tables.Page`); it counts in the period it was sent in.
**After hours** means outside 08:00-18:00, Monday to Friday, in the person's
own time zone when the page was sent (their user's ``time_zone`` then; UTC for
a name that is no user), as :func:`tocsin.domain.metric_calendar.after_hours`
defines it: the same fixed working day for everyone, so that people and teams
compare. (The on-call report of ``tocsin oncall report`` uses each person's
configured working hours instead, for compensation.) Each page records it when
it is sent (:attr:`~tocsin.paging.tables.Page.after_hours`), so a person who
moves keeps the nights they were paged in.

The database counts, in one grouped statement over the (user, sent, run,
after hours) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Integer,
    func,
    select,
)
from sqlalchemy.orm import Session

import tocsin.db.hints  # noqa: F401 (SQLite's INDEXED BY)
from tocsin.auth.tables import User
from tocsin.metrics import conditions
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
    """Each user's time zone now, when it is a zone this machine knows (else UTC)."""
    zones = {}
    for name, zone in session.execute(select(User.name, User.time_zone)):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            zone = UTC_NAME
        zones[name] = zone
    return zones


def oncall_load(session: Session, filters: Filters) -> list[PersonPages]:
    """Pages per person over the period (pages of drills left out), most paged first."""
    if filters.nothing_matches:
        return []
    query = (
        select(Page.user_name, func.count(), func.sum(Page.after_hours.cast(Integer)))
        .where(*conditions.pages(filters))
        .group_by(Page.user_name)
        .with_hint(Page.__table__, f"INDEXED BY {INDEX}", dialect_name="sqlite")
    )
    zones = _zones(session)
    found = [
        PersonPages(person, zones.get(person, UTC_NAME), int(count), int(late or 0))
        for person, count, late in session.execute(query)
    ]
    return sorted(found, key=lambda each: (-each.pages, each.person))
