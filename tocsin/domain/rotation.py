"""Rotations: whose turn it is on a layer at any instant, found arithmetically.

Local time
----------
Handoffs and restriction windows are written as local wall-clock times in the
schedule's IANA zone. Turning a wall-clock time into an instant follows two
rules, chosen so that the mapping never runs backwards (which keeps shifts in
order and never overlapping):

* an ambiguous time (the repeated hour when clocks go back) means its first
  occurrence (``fold=0``);
* a nonexistent time (skipped when clocks go forward) is moved forward to the
  end of the gap, the first instant that exists: a 02:30 handoff on the day
  Europe/Berlin springs forward happens at 03:00 CEST.

Day-based shift lengths (daily, weekly, N days) count local calendar days, so a
10:00 handoff stays at 10:00 local on both sides of a DST change and a "day"
lasts 23 or 25 hours there. Hour-based lengths (hourly, N hours) count elapsed
time, as GoAlert does; pin them to local hours with restrictions instead.

Cost
----
The turn at an instant is the whole number of shift lengths between the
rotation's anchor and the instant (in local wall-clock time for day-based
lengths), corrected by at most a step or two around DST changes. Nothing loops
over past shifts, so a lookup ten years out costs the same as one tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MICROSECOND = timedelta(microseconds=1)


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) at which clocks in ``zone`` show ``wall``.

    ``wall`` is naive, or a wall-clock reading from :func:`local_wall`.
    Ambiguous times take their first occurrence; nonexistent times move
    forward to the end of the gap (see the module docstring).
    """
    if wall.tzinfo is not zone or wall.fold:
        wall = wall.replace(tzinfo=zone, fold=0)
    first = wall.astimezone(UTC)
    if first.astimezone(zone) == wall:
        return first
    # In a gap, fold=0 reads the wall time with the offset from before the
    # change and lands after the transition; fold=1 reads it with the offset
    # from after and lands before. Bisect between the two for the transition.
    after = first.astimezone(zone).utcoffset()
    low, high = wall.replace(fold=1).astimezone(UTC), first
    while high - low > _MICROSECOND:
        middle = low + (high - low) // 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


def local_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """What clocks in ``zone`` show at the aware ``instant``, as a datetime in ``zone``.

    Two such readings in the same zone subtract and compare as wall-clock
    times (Python ignores a shared tzinfo), which is exactly the calendar
    arithmetic rotations and restrictions need, without converting back and
    forth.
    """
    return instant.astimezone(zone)


@dataclass(frozen=True, slots=True)
class ShiftLength:
    """How long one turn lasts: whole hours of elapsed time, or whole local calendar days."""

    hours: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if (self.hours > 0) == (self.days > 0) or self.hours < 0 or self.days < 0:
            raise ValueError("a shift length is a positive number of hours or of days, not both")

    @property
    def step(self) -> timedelta:
        return timedelta(hours=self.hours, days=self.days)

    @property
    def calendar(self) -> bool:
        """True when turns are counted in local calendar days (handoffs keep their local time)."""
        return self.days > 0

    def __str__(self) -> str:
        if self.hours:
            return f"{self.hours}h"
        return f"{self.days // 7}w" if self.days % 7 == 0 else f"{self.days}d"


HOURLY = ShiftLength(hours=1)
DAILY = ShiftLength(days=1)
WEEKLY = ShiftLength(days=7)


@dataclass(frozen=True, slots=True)
class Rotation:
    """Participants taking turns of equal length.

    ``start`` is an anchor, not a beginning: it is a handoff instant at which
    ``participants[0]`` takes over, and the rotation extends both forwards and
    backwards from it. For day-based lengths its local weekday and time of day
    in the schedule's zone fix the handoff day and time. A participant may be
    ``None``: nobody holds the layer for that turn (the seed format's weeks may
    leave a layer out).
    """

    participants: tuple[str | None, ...]
    start: datetime
    length: ShiftLength

    def __post_init__(self) -> None:
        if not self.participants:
            raise ValueError("a rotation needs at least one participant")
        if self.start.tzinfo is None:
            raise ValueError("a rotation's start must be timezone-aware")


class RotationClock:
    """A rotation bound to a time zone, answering "whose turn, from when to when"."""

    __slots__ = ("_anchor_utc", "_anchor_wall", "_calendar", "_participants", "_step", "_zone")

    def __init__(self, rotation: Rotation, zone: ZoneInfo) -> None:
        self._zone = zone
        self._participants = rotation.participants
        self._step = rotation.length.step
        self._calendar = rotation.length.calendar
        self._anchor_wall = local_wall(rotation.start, zone)
        self._anchor_utc = (
            wall_to_utc(self._anchor_wall, zone)
            if self._calendar
            else rotation.start.astimezone(UTC)
        )

    def handoff(self, turn: int) -> datetime:
        """The instant (UTC) at which turn number ``turn`` begins; turn 0 begins at the anchor."""
        if self._calendar:
            return wall_to_utc(self._anchor_wall + turn * self._step, self._zone)
        return self._anchor_utc + turn * self._step

    @property
    def calendar(self) -> bool:
        return self._calendar

    def person(self, turn: int) -> str | None:
        return self._participants[turn % len(self._participants)]

    def wall_turn(self, wall: datetime) -> tuple[int, datetime, datetime]:
        """For day-based rotations: the turn at local reading ``wall`` and its [start, end)
        as local readings.

        Exact unless ``wall`` is the second run of a repeated hour (``wall.fold``):
        for any other instant, comparing local readings orders handoffs exactly as
        comparing instants would, because the local-to-UTC mapping is monotonic.
        """
        turn = (wall - self._anchor_wall) // self._step
        start = self._anchor_wall + turn * self._step
        return turn, start, start + self._step

    def turn_at(self, instant: datetime, wall: datetime) -> tuple[int, datetime, datetime]:
        """The turn covering ``instant`` (aware UTC) and its [start, end) in UTC.

        ``wall`` is ``instant`` on the local clock, passed in because every
        layer of a schedule shares it.
        """
        if not self._calendar:
            turn = (instant - self._anchor_utc) // self._step
            start = self._anchor_utc + turn * self._step
            return turn, start, start + self._step
        # The wall-clock estimate never overshoots: handoff(turn) <= instant,
        # because the local-to-UTC mapping is monotonic. It falls short only
        # when the instant sits in the second run of a repeated hour.
        turn = self.wall_turn(wall)[0]
        start = self.handoff(turn)
        end = self.handoff(turn + 1)
        while end <= instant:
            turn += 1
            start, end = end, self.handoff(turn + 1)
        return turn, start, end


def handoff_anchor(earliest: datetime, handoff_time: time | None, weekday: int | None) -> datetime:
    """The first naive wall time at or after ``earliest`` on ``weekday`` at ``handoff_time``.

    ``None`` keeps ``earliest``'s own time of day or weekday. Weekdays count
    from Monday = 0, like :meth:`datetime.weekday`.
    """
    at = handoff_time if handoff_time is not None else earliest.time()
    candidate = datetime.combine(earliest.date(), at)
    if candidate < earliest:
        candidate += timedelta(days=1)
    if weekday is not None:
        candidate += timedelta(days=(weekday - candidate.weekday()) % 7)
    return candidate
