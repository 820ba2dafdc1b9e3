"""Who is on call: schedules, layers, overrides, and the two functions that answer it.

A :class:`Schedule` has a name, an IANA time zone and ordered layers (primary,
secondary, ...). Each :class:`Layer` has a :class:`~tocsin.domain.rotation.Rotation`
and optional :class:`~tocsin.domain.restriction.Restriction` windows. An
:class:`Override` puts another person on a layer for [start, end).

Everything is pure and computed from the schedule and the instants given:
:func:`oncall_at` answers "who holds each layer at this instant", and
:func:`shifts` lists every shift in a time range. Both return aware UTC
datetimes and agree with each other: the piece :func:`oncall_at` reports is
exactly the :class:`Shift` of :func:`shifts` covering the instant (clipped to
the range asked for).

How a layer's timeline is built, and therefore where shifts begin and end:

1. the rotation's turns, each from one handoff to the next;
2. cut to the restriction windows, if any (outside them nobody is on call);
3. overrides laid on top. Overrides on the same layer that overlap are
   resolved in order: a later override in ``Schedule.overrides`` wins where
   they overlap. Back-to-back or overlapping overrides for the same person
   merge into one override shift.

Shifts are never merged otherwise: the same person holding two turns in a row
gives two shifts, split at the handoff, and a restriction window crossing a
handoff is split there too.

Overrides are kept per layer as sorted, disjoint spans and found by bisection,
so a lookup costs O(log overrides) on top of the arithmetic of the rotation
and restrictions, independent of how far the instant is from the rotation's
start.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.domain.restriction import Restriction, Windows, windows_for
from tocsin.domain.rotation import Rotation, RotationClock, local_wall, wall_to_utc


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    rotation: Rotation
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True, slots=True)
class Override:
    """``user`` holds ``layer`` for [start, end), whoever's turn it is."""

    layer: str
    user: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("an override's start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")


@dataclass(frozen=True, slots=True)
class Shift:
    """One person on one layer for [start, end); ``override`` when an override put them there."""

    layer: str
    person: str
    start: datetime
    end: datetime
    override: bool = False


class OnCall(NamedTuple):
    """Who holds one layer at an instant, and the shift's [start, end).

    ``person`` is None when nobody does (outside the layer's restriction
    windows, or an empty turn). Then ``start`` and ``end`` bound the stretch of
    nobody around the instant as far as one window gap or one turn goes; the
    layer may stay empty beyond them.
    """

    layer: str
    person: str | None
    start: datetime
    end: datetime


class _OverrideSpans:
    """A layer's overrides flattened into sorted, disjoint spans (later overrides win)."""

    __slots__ = ("ends", "starts", "users")

    def __init__(self, overrides: Iterable[Override]) -> None:
        spans: list[tuple[datetime, datetime, str]] = []
        for override in overrides:
            start, end = override.start.astimezone(UTC), override.end.astimezone(UTC)
            first = bisect_right(spans, start, key=lambda span: span[1])
            last = bisect_left(spans, end, lo=first, key=lambda span: span[0])
            replacement = []
            if first < last and spans[first][0] < start:
                replacement.append((spans[first][0], start, spans[first][2]))
            replacement.append((start, end, override.user))
            if first < last and spans[last - 1][1] > end:
                replacement.append((end, spans[last - 1][1], spans[last - 1][2]))
            spans[first:last] = replacement
        merged: list[tuple[datetime, datetime, str]] = []
        for span in spans:
            if merged and merged[-1][1] == span[0] and merged[-1][2] == span[2]:
                merged[-1] = (merged[-1][0], span[1], span[2])
            else:
                merged.append(span)
        self.starts = [span[0] for span in merged]
        self.ends = [span[1] for span in merged]
        self.users = [span[2] for span in merged]


class _LayerTimeline:
    """One layer compiled for lookups: rotation clock, windows and override spans."""

    __slots__ = ("name", "overrides", "rotation", "windows", "zone")

    def __init__(self, layer: Layer, overrides: Iterable[Override], zone: ZoneInfo) -> None:
        self.name = layer.name
        self.zone = zone
        self.rotation = RotationClock(layer.rotation, zone)
        self.windows: Windows | None = windows_for(layer.restrictions, zone)
        self.overrides = _OverrideSpans(overrides)

    def base_at(self, instant: datetime, wall: datetime) -> tuple[str | None, datetime, datetime]:
        """Who the rotation and restrictions put on the layer at ``instant``, ignoring overrides.

        Windows and day-based turns are compared as local readings and only the
        two ends reported are converted to UTC; the conversion is monotonic, so
        the later start and earlier end are the same either way. The second run
        of a repeated hour (``wall.fold``) is compared as instants instead.
        """
        rotation, windows, zone = self.rotation, self.windows, self.zone
        if windows is None:
            turn, start, end = rotation.turn_at(instant, wall)
            return rotation.person(turn), start, end
        if wall.fold:
            number, start, end = windows.around(instant, wall)
            if number % 2:
                return None, start, end
            turn, turn_start, turn_end = rotation.turn_at(instant, wall)
            return rotation.person(turn), max(start, turn_start), min(end, turn_end)
        number, start, end = windows.wall_around(wall)
        if number % 2:
            return None, wall_to_utc(start, zone), wall_to_utc(end, zone)
        if rotation.calendar:
            turn, turn_start, turn_end = rotation.wall_turn(wall)
            return (
                rotation.person(turn),
                wall_to_utc(max(start, turn_start), zone),
                wall_to_utc(min(end, turn_end), zone),
            )
        turn, turn_start, turn_end = rotation.turn_at(instant, wall)
        return (
            rotation.person(turn),
            max(wall_to_utc(start, zone), turn_start),
            min(wall_to_utc(end, zone), turn_end),
        )

    def at(self, instant: datetime, wall: datetime) -> OnCall:
        spans = self.overrides
        index = bisect_right(spans.starts, instant) - 1
        if index >= 0 and instant < spans.ends[index]:
            return OnCall(self.name, spans.users[index], spans.starts[index], spans.ends[index])
        person, start, end = self.base_at(instant, wall)
        if index >= 0:
            start = max(start, spans.ends[index])
        if index + 1 < len(spans.starts):
            end = min(end, spans.starts[index + 1])
        return OnCall(self.name, person, start, end)

    def _turns(self, start: datetime, end: datetime) -> Iterator[Shift]:
        turn, turn_start, turn_end = self.rotation.turn_at(start, local_wall(start, self.zone))
        while turn_start < end:
            person = self.rotation.person(turn)
            piece_start, piece_end = max(turn_start, start), min(turn_end, end)
            if person is not None and piece_start < piece_end:
                yield Shift(self.name, person, piece_start, piece_end)
            turn += 1
            turn_start, turn_end = turn_end, self.rotation.handoff(turn + 1)

    def _base_shifts(self, start: datetime, end: datetime) -> Iterator[Shift]:
        if self.windows is None:
            yield from self._turns(start, end)
            return
        number, window_start, window_end = self.windows.around(start, local_wall(start, self.zone))
        while window_start < end:
            piece_start, piece_end = max(window_start, start), min(window_end, end)
            if number % 2 == 0 and piece_start < piece_end:
                yield from self._turns(piece_start, piece_end)
            number += 1
            window_start, window_end = window_end, self.windows.boundary(number + 1)

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        spans = self.overrides
        first = bisect_right(spans.ends, start)
        found: list[Shift] = []
        for base in self._base_shifts(start, end):
            cursor = base.start
            index = bisect_right(spans.ends, cursor, lo=first)
            while index < len(spans.starts) and spans.starts[index] < base.end:
                if spans.starts[index] > cursor:
                    found.append(Shift(self.name, base.person, cursor, spans.starts[index]))
                cursor = max(cursor, spans.ends[index])
                index += 1
            if cursor < base.end:
                found.append(Shift(self.name, base.person, cursor, base.end))
        index = first
        while index < len(spans.starts) and spans.starts[index] < end:
            found.append(
                Shift(
                    self.name,
                    spans.users[index],
                    max(spans.starts[index], start),
                    min(spans.ends[index], end),
                    override=True,
                )
            )
            index += 1
        found.sort(key=lambda shift: shift.start)
        return found


@dataclass(frozen=True)
class Schedule:
    """A named, layered on-call schedule in one IANA time zone.

    Built once and queried many times: construction validates the layers and
    overrides and compiles them for lookups.
    """

    name: str
    time_zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _timelines: tuple[_LayerTimeline, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ValueError(f"schedule {self.name!r} has two layers with the same name")
        unknown = {override.layer for override in self.overrides} - set(names)
        if unknown:
            raise ValueError(f"overrides name unknown layers: {', '.join(sorted(unknown))}")
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {self.time_zone!r}") from None
        object.__setattr__(self, "zone", zone)
        timelines = tuple(
            _LayerTimeline(
                layer, (each for each in self.overrides if each.layer == layer.name), zone
            )
            for layer in self.layers
        )
        object.__setattr__(self, "_timelines", timelines)

    def with_overrides(self, *overrides: Override) -> Schedule:
        """This schedule with ``overrides`` added after (so winning over) the existing ones."""
        return Schedule(self.name, self.time_zone, self.layers, self.overrides + overrides)


def _aware(instant: datetime, what: str) -> datetime:
    if instant.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return instant.astimezone(UTC)


def oncall_at(schedule: Schedule, instant: datetime) -> list[OnCall]:
    """Who holds each layer of ``schedule`` at ``instant``, in layer order."""
    instant = _aware(instant, "instant")
    wall = local_wall(instant, schedule.zone)
    return [timeline.at(instant, wall) for timeline in schedule._timelines]


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Every shift in [start, end), clipped to it: by layer in schedule order, then by start.

    A shift straddling ``start`` or ``end`` is cut there, so the shifts of
    [a, c) are those of [a, b) followed by those of [b, c), once the two
    pieces of a shift straddling b are joined.
    """
    start, end = _aware(start, "start"), _aware(end, "end")
    if end < start:
        raise ValueError("end must not be before start")
    found: list[Shift] = []
    for timeline in schedule._timelines:
        found.extend(timeline.shifts(start, end))
    return found
