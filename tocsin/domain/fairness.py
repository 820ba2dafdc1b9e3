"""Fairness policies: limits on how a schedule spreads on-call time over people.

Policies are counted per layer
------------------------------
A person's time on call is grouped into *stretches* on each layer separately.
Being primary one week and secondary the next is two stretches on two layers,
not one stretch of two weeks.

Why: the seed schedule (``examples/config/on-call-schedule.yaml``) rotates
three engineers weekly through primary and secondary, with
``max_consecutive_days: 7`` and ``min_gap_days: 14``. Counted per layer, each
engineer holds primary for 7 days and then has 14 days off primary (the same
on secondary): exactly at both limits, so the seed's own policies hold.
Counted across layers, engineer-b would be on call 14 days in a row
(secondary in week 1, primary in week 2) and then off for only 7, breaking
both limits every cycle: the seed would contradict itself. The secondary is a
backup, paged only when the primary does not answer, and the policies read as
limits on each rotation ("minimum gap between on-call rotations").

Stretches
---------
A stretch is a run of one person's shifts on one layer. Two of their shifts
belong to the same stretch when nobody else held the layer between them
(outside the layer's restriction windows, or an empty turn, does not count as
rest: a business-hours week is one stretch of seven days, not five of twelve
hours), or when the break is shorter than a day (a colleague covering an
afternoon does not end the stretch). A stretch runs from its first shift's
start to its last shift's end.

* ``max_consecutive_days``: no stretch longer than this many days.
* ``min_gap_days``: at least this many days between the end of one of a
  person's stretches on a layer and the start of their next.
* ``max_weekend_share``: no person carries more than this fraction of a
  layer's on-call hours falling on weekends (Saturday and Sunday, local time).
* ``max_shifts_per_week``: no person starts more than this many stretches on a
  layer in one local calendar week (Monday to Sunday).

Everything is checked over a horizon (26 weeks by default) from the shifts of
:func:`tocsin.domain.schedule.shifts`, overrides included. Stretches are
followed a little beyond the horizon's edges so that a stretch or gap
crossing an edge is measured whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tocsin.domain.restriction import Restriction, windows_for
from tocsin.domain.rotation import local_wall, wall_to_utc
from tocsin.domain.schedule import Override, Schedule, Shift, shifts

DEFAULT_HORIZON = timedelta(weeks=26)
#: Breaks shorter than this do not end a stretch.
SHORT_BREAK = timedelta(days=1)
_WEEKEND = Restriction(frozenset({5, 6}))


class PolicyLimits(Protocol):
    """What :func:`check_fairness` reads: :class:`FairnessPolicies`, or a configuration model."""

    @property
    def max_consecutive_days(self) -> float | None: ...
    @property
    def min_gap_days(self) -> float | None: ...
    @property
    def max_weekend_share(self) -> float | None: ...
    @property
    def max_shifts_per_week(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class FairnessPolicies:
    """Limits a schedule should keep; None switches a policy off."""

    max_consecutive_days: float | None = None
    min_gap_days: float | None = None
    max_weekend_share: float | None = None
    max_shifts_per_week: int | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    """A policy broken by ``person`` on ``layer`` during [start, end)."""

    policy: str
    person: str
    layer: str
    start: datetime
    end: datetime
    message: str


@dataclass(frozen=True, slots=True)
class Stretch:
    layer: str
    person: str
    start: datetime
    end: datetime


def stretches(found: Iterable[Shift]) -> list[Stretch]:
    """Group shifts into stretches (see the module docstring), by layer, person and start."""
    by_layer: dict[str, list[Shift]] = defaultdict(list)
    for shift in found:
        by_layer[shift.layer].append(shift)
    result: list[Stretch] = []
    for layer, layer_shifts in by_layer.items():
        layer_shifts.sort(key=lambda shift: shift.start)
        open_spans: dict[str, list[datetime]] = {}
        previous: str | None = None
        for shift in layer_shifts:
            span = open_spans.get(shift.person)
            if span is not None and (
                previous == shift.person or shift.start - span[1] < SHORT_BREAK
            ):
                span[1] = max(span[1], shift.end)
            else:
                if span is not None:
                    result.append(Stretch(layer, shift.person, span[0], span[1]))
                open_spans[shift.person] = [shift.start, shift.end]
            previous = shift.person
        result.extend(Stretch(layer, person, *span) for person, span in open_spans.items())
    result.sort(key=lambda stretch: (stretch.layer, stretch.person, stretch.start))
    return result


def _duration(span: timedelta) -> str:
    days = span / timedelta(days=1)
    if days >= 1:
        text = f"{days:.1f}".removesuffix(".0")
        return f"{text} day" if text == "1" else f"{text} days"
    hours = span / timedelta(hours=1)
    text = f"{hours:.1f}".removesuffix(".0")
    return f"{text} hour" if text == "1" else f"{text} hours"


def _limit(value: float) -> str:
    return f"{value:g}"


def _span(schedule: Schedule, start: datetime, end: datetime) -> str:
    """``from ... to ...`` on the schedule's local clock, for messages."""
    zone = schedule.zone
    return (
        f"from {local_wall(start, zone):%Y-%m-%d %H:%M} "
        f"to {local_wall(end, zone):%Y-%m-%d %H:%M} {schedule.time_zone}"
    )


def _consecutive(stretch: Stretch, limit: float, schedule: Schedule) -> Violation | None:
    length = stretch.end - stretch.start
    if length <= timedelta(days=limit):
        return None
    return Violation(
        "max_consecutive_days",
        stretch.person,
        stretch.layer,
        stretch.start,
        stretch.end,
        f"{stretch.person} would be on call {_duration(length)} in a row on {stretch.layer} "
        f"(max_consecutive_days: {_limit(limit)}) {_span(schedule, stretch.start, stretch.end)}",
    )


def _gap(before: Stretch, after: Stretch, limit: float, schedule: Schedule) -> Violation | None:
    rest = after.start - before.end
    if rest >= timedelta(days=limit):
        return None
    return Violation(
        "min_gap_days",
        after.person,
        after.layer,
        before.end,
        after.start,
        f"{after.person} would have only {_duration(rest)} off {after.layer} between "
        f"on-call stretches (min_gap_days: {_limit(limit)}) "
        + _span(schedule, before.end, after.start),
    )


def _weekend_hours(
    schedule: Schedule, found: list[Shift], start: datetime, end: datetime
) -> dict[str, dict[str, timedelta]]:
    """Per layer and person, time on call during local weekends within [start, end)."""
    windows = windows_for([_WEEKEND], schedule.zone)
    assert windows is not None  # a weekend is not the whole week
    weekends: list[tuple[datetime, datetime]] = []
    number, window_start, window_end = windows.around(start, local_wall(start, schedule.zone))
    while window_start < end:
        if number % 2 == 0:
            weekends.append((max(window_start, start), min(window_end, end)))
        number += 1
        window_start, window_end = window_end, windows.boundary(number + 1)
    hours: dict[str, dict[str, timedelta]] = defaultdict(lambda: defaultdict(timedelta))
    for shift in found:
        for weekend_start, weekend_end in weekends:
            overlap = min(shift.end, weekend_end) - max(shift.start, weekend_start)
            if overlap > timedelta(0):
                hours[shift.layer][shift.person] += overlap
    return hours


def _weekend_share(
    schedule: Schedule, found: list[Shift], limit: float, start: datetime, end: datetime
) -> list[Violation]:
    violations = []
    for layer, people in _weekend_hours(schedule, found, start, end).items():
        total = sum(people.values(), timedelta(0))
        for person, carried in sorted(people.items()):
            share = carried / total
            if share > limit:
                violations.append(
                    Violation(
                        "max_weekend_share",
                        person,
                        layer,
                        start,
                        end,
                        f"{person} would carry {share:.0%} of the weekend on-call hours on "
                        f"{layer} (max_weekend_share: {_limit(limit)}) "
                        + _span(schedule, start, end),
                    )
                )
    return violations


def _shifts_per_week(
    schedule: Schedule, runs: list[Stretch], limit: int, start: datetime, end: datetime
) -> list[Violation]:
    counts: dict[tuple[str, str, datetime], int] = defaultdict(int)
    for stretch in runs:
        if start <= stretch.start < end:
            wall = local_wall(stretch.start, schedule.zone)
            monday = datetime.combine(
                wall.date() - timedelta(days=wall.weekday()), datetime.min.time()
            )
            counts[(stretch.layer, stretch.person, monday)] += 1
    violations = []
    for (layer, person, monday), count in sorted(counts.items()):
        if count > limit:
            week_start = wall_to_utc(monday, schedule.zone)
            week_end = wall_to_utc(monday + timedelta(days=7), schedule.zone)
            violations.append(
                Violation(
                    "max_shifts_per_week",
                    person,
                    layer,
                    week_start,
                    week_end,
                    f"{person} would start {count} on-call stretch{'' if count == 1 else 'es'} "
                    f"on {layer} in one week "
                    f"(max_shifts_per_week: {limit}) {_span(schedule, week_start, week_end)}",
                )
            )
    return violations


def _overlaps(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> bool:
    return start < window_end and window_start < end


def check_fairness(
    schedule: Schedule,
    policies: PolicyLimits | None,
    start: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
) -> list[Violation]:
    """Every policy violation in ``schedule`` over [start, start + horizon), overrides included.

    A violation is reported when its span (the stretch, the gap, or the week)
    overlaps the horizon. Violations come in order of their start. No
    policies, no violations.
    """
    if policies is None:
        return []
    end = start + horizon
    reach = max(policies.max_consecutive_days or 0, policies.min_gap_days or 0) + 1
    margin = timedelta(days=reach)
    violations: list[Violation] = []
    runs = stretches(shifts(schedule, start - margin, end + margin))
    for index, stretch in enumerate(runs):
        if policies.max_consecutive_days is not None and _overlaps(
            stretch.start, stretch.end, start, end
        ):
            found = _consecutive(stretch, policies.max_consecutive_days, schedule)
            if found is not None:
                violations.append(found)
        if policies.min_gap_days is not None and index + 1 < len(runs):
            following = runs[index + 1]
            same = (following.layer, following.person) == (stretch.layer, stretch.person)
            if same and _overlaps(stretch.end, following.start, start, end):
                found = _gap(stretch, following, policies.min_gap_days, schedule)
                if found is not None:
                    violations.append(found)
    if policies.max_weekend_share is not None:
        violations.extend(
            _weekend_share(
                schedule, shifts(schedule, start, end), policies.max_weekend_share, start, end
            )
        )
    if policies.max_shifts_per_week is not None:
        violations.extend(
            _shifts_per_week(schedule, runs, policies.max_shifts_per_week, start, end)
        )
    violations.sort(key=lambda found: (found.start, found.layer, found.person, found.policy))
    return violations


def violations_added_by(
    schedule: Schedule,
    policies: PolicyLimits | None,
    override: Override,
    start: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
) -> list[Violation]:
    """The violations adding ``override`` to ``schedule`` would create.

    The horizon is widened to include the override. A violation after the
    change counts as new unless one of the same policy, person and layer with
    an overlapping span was already there (an existing problem the override
    makes longer or shorter is not reported again).
    """
    begin = min(start, override.start)
    horizon = max(start + horizon, override.end) - begin
    before = check_fairness(schedule, policies, begin, horizon)
    after = check_fairness(schedule.with_overrides(override), policies, begin, horizon)
    return [
        violation
        for violation in after
        if not any(
            (old.policy, old.person, old.layer)
            == (violation.policy, violation.person, violation.layer)
            and old.start <= violation.end
            and violation.start <= old.end
            for old in before
        )
    ]
