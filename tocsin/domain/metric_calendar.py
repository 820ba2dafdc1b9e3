"""Weeks and working hours for metrics, in any time zone, as whole epoch seconds.

Metrics count incidents per ISO week (Monday 00:00 to the next Monday 00:00)
in UTC unless another zone is asked for, and count a page as **after hours**
when it arrives outside 08:00-18:00, Monday to Friday, in the paged person's
time zone (UTC for someone without one). The databases disagree on time zones
(SQLite has none), so the queries do the arithmetic on integers: the local
reading of an instant is its epoch second plus the zone's UTC offset at that
instant, and :func:`offsets` lists the offsets a zone goes through over a
range, which a query turns into one ``CASE``. Everything here is what those
queries compute, written once in Python, which the tests hold them to.

Seconds are counted from :data:`EPOCH_MONDAY` (Monday 1969-12-29), so that
every local reading of an instant Tocsin accepts (from 1970) is positive and
integer division means the same in Python and in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Monday 1969-12-29 00:00 UTC, in epoch seconds: where week and day numbers start.
EPOCH_MONDAY = -259_200
DAY = 86_400
WEEK = 7 * DAY
#: Working hours: from 08:00 to 18:00 local time, Monday (0) to Friday (4).
WORKDAY_START = 8 * 3600
WORKDAY_END = 18 * 3600
WORKDAYS = 5
#: Offsets are looked at this often between transitions; DST rules never change twice
#: within six hours.
_STEP = 6 * 3600


def epoch_second(instant: datetime) -> int:
    """The whole second (rounded down) of an aware instant, since 1970-01-01 UTC."""
    if instant.utcoffset() is None:
        raise ValueError(f"instant: expected a timezone-aware time, got {instant.isoformat()}")
    since = instant.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return since.days * DAY + since.seconds


def local_second(instant: datetime, zone: tzinfo) -> int:
    """The epoch second of the wall-clock reading of ``instant`` in ``zone``."""
    offset = instant.astimezone(zone).utcoffset() or timedelta(0)
    return epoch_second(instant) + offset.days * DAY + offset.seconds


def week_number(local: int) -> int:
    """The week (counted from :data:`EPOCH_MONDAY`) that a local reading falls in."""
    return (local - EPOCH_MONDAY) // WEEK


def week_start(number: int) -> date:
    """The Monday that week ``number`` starts on."""
    return date(1969, 12, 29) + timedelta(weeks=number)


def iso_week(number: int) -> str:
    """The ISO 8601 name of week ``number``: ``2026-W23``."""
    year, week, _ = week_start(number).isocalendar()
    return f"{year}-W{week:02d}"


def after_hours(local: int) -> bool:
    """Whether a local reading lies outside 08:00-18:00, Monday to Friday."""
    weekday = (local - EPOCH_MONDAY) // DAY % 7
    second = (local - EPOCH_MONDAY) % DAY
    return weekday >= WORKDAYS or not WORKDAY_START <= second < WORKDAY_END


def after_hours_in(instant: datetime, zone: str | None) -> bool:
    """Whether ``instant`` lies after hours in the IANA zone ``zone`` (UTC for none, or for a
    name this machine does not know)."""
    try:
        where: tzinfo = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):
        where = UTC
    return after_hours(local_second(instant, where))


@dataclass(frozen=True)
class OffsetSpan:
    """A zone's UTC offset (seconds east) until the epoch second ``until`` (None: for ever)."""

    until: int | None
    offset: int


def _offset(zone: tzinfo, second: int) -> int:
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=second)
    found = at.astimezone(zone).utcoffset() or timedelta(0)
    return found.days * DAY + found.seconds


def _change(zone: tzinfo, before: int, after: int) -> int:
    """The first second in (before, after] whose offset differs from ``before``'s."""
    first = _offset(zone, before)
    while after - before > 1:
        middle = (before + after) // 2
        if _offset(zone, middle) == first:
            before = middle
        else:
            after = middle
    return after


def offsets(zone: tzinfo, start: datetime, end: datetime) -> tuple[OffsetSpan, ...]:
    """The offsets ``zone`` goes through over [start, end), in order; the last runs for ever.

    The first span also covers whatever comes before ``start``: a query asks
    only about instants in the range.
    """
    first, last = epoch_second(start), epoch_second(end)
    spans: list[OffsetSpan] = []
    current = _offset(zone, first)
    probe = first
    while probe < last:
        following = min(probe + _STEP, last)
        if _offset(zone, following) != current:
            change = _change(zone, probe, following)
            spans.append(OffsetSpan(change, current))
            current = _offset(zone, change)
            probe = change
        else:
            probe = following
    spans.append(OffsetSpan(None, current))
    return tuple(spans)


def offset_at(spans: tuple[OffsetSpan, ...], second: int) -> int:
    """The offset :func:`offsets` gives for the epoch second ``second``."""
    return next(span.offset for span in spans if span.until is None or second < span.until)
