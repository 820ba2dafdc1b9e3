"""Restrictions: the weekly windows, in the schedule's zone, during which a layer is active.

Several layers with restrictions give follow-the-sun coverage: an EMEA layer
restricted to 08:00-16:00 Europe/London, an Americas layer to 16:00-24:00, and
so on. Outside its windows a layer has nobody on call, whatever its rotation
says; inside, whoever's turn it is holds it.

The windows of all of a layer's restrictions are merged into one weekly
pattern: a sorted list of boundary offsets from Monday 00:00, alternately a
window start and a window end. Repeated every week it forms an endless
sequence of boundaries numbered by integers; an even number starts a window,
an odd one starts a gap. Finding the window around an instant is then
arithmetic plus one bisection, whatever the date.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.rotation import wall_to_utc

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
#: A Monday from which weeks are counted; any Monday would do.
_EPOCH_MONDAY = datetime(2001, 1, 1)


@dataclass(frozen=True, slots=True)
class Restriction:
    """Windows from ``start`` to ``end`` local time beginning on each of ``days``.

    Days count from Monday = 0. An ``end`` at or before ``start`` runs past
    midnight into the next day, so 22:00-06:00 on Friday ends Saturday 06:00,
    and ``start == end`` (the default 00:00-00:00) is a whole day: a
    day-of-week window.
    """

    days: frozenset[int]
    start: time = time(0)
    end: time = time(0)

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("a restriction needs days of the week between 0 (Monday) and 6")

    def windows(self) -> list[tuple[timedelta, timedelta]]:
        """This restriction's windows as (start, end) offsets from Monday 00:00."""
        begin = _since_midnight(self.start)
        length = (_since_midnight(self.end) - begin) % DAY or DAY
        return [(day * DAY + begin, day * DAY + begin + length) for day in sorted(self.days)]


def _since_midnight(at: time) -> timedelta:
    return timedelta(hours=at.hour, minutes=at.minute, seconds=at.second)


def _merge(windows: Iterable[tuple[timedelta, timedelta]]) -> list[tuple[timedelta, timedelta]]:
    """Union of weekly windows, disjoint and sorted, with a window spilling past Sunday
    night joined to one starting early on Monday."""
    merged: list[tuple[timedelta, timedelta]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    while len(merged) > 1 and merged[-1][1] >= merged[0][0] + WEEK:
        last_start, last_end = merged.pop()
        first_end = merged.pop(0)[1]
        merged.append((last_start, max(last_end, first_end + WEEK)))
    return merged


class Windows:
    """A layer's merged restriction windows bound to a time zone; see :func:`windows_for`."""

    __slots__ = ("_epoch", "_offsets", "_zone")

    def __init__(self, offsets: tuple[timedelta, ...], zone: ZoneInfo) -> None:
        self._offsets = offsets
        self._zone = zone
        self._epoch = _EPOCH_MONDAY.replace(tzinfo=zone)

    def _wall_boundary(self, number: int) -> datetime:
        weeks, index = divmod(number, len(self._offsets))
        return self._epoch + weeks * WEEK + self._offsets[index]

    def boundary(self, number: int) -> datetime:
        """The instant (UTC) of boundary ``number``: even numbers open windows, odd close them."""
        return wall_to_utc(self._wall_boundary(number), self._zone)

    def wall_around(self, wall: datetime) -> tuple[int, datetime, datetime]:
        """The last boundary at or before local reading ``wall``, with the span to the next,
        as local readings.

        An even number means inside a window; odd, in a gap. Exact unless
        ``wall`` is the second run of a repeated hour (``wall.fold``), as for
        :meth:`tocsin.domain.rotation.RotationClock.wall_turn`.
        """
        since = wall - self._epoch
        weeks = since // WEEK
        count = len(self._offsets)
        number = weeks * count + bisect_right(self._offsets, since - weeks * WEEK) - 1
        # The last window of the week may spill into next Monday: one step back
        # finds its start.
        start = self._wall_boundary(number)
        if start > wall:
            number -= 1
            start = self._wall_boundary(number)
        return number, start, self._wall_boundary(number + 1)

    def around(self, instant: datetime, wall: datetime) -> tuple[int, datetime, datetime]:
        """The boundary number at or before ``instant`` and the span up to the next boundary,
        in UTC. ``wall`` is ``instant`` on the local clock."""
        number = self.wall_around(wall)[0]
        # Only the second run of a repeated hour needs stepping forward.
        start = self.boundary(number)
        end = self.boundary(number + 1)
        while end <= instant:
            number += 1
            start, end = end, self.boundary(number + 1)
        return number, start, end


def windows_for(restrictions: Iterable[Restriction], zone: ZoneInfo) -> Windows | None:
    """The windows of ``restrictions``, or None when they leave the layer always active."""
    merged = _merge(window for each in restrictions for window in each.windows())
    if not merged or merged[0][1] - merged[0][0] >= WEEK:
        return None
    return Windows(tuple(offset for window in merged for offset in window), zone)
