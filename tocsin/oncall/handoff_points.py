"""Where handoffs happen on a layer and who hands over to whom: pure functions over a schedule.

A handoff on a layer is an instant at which someone starts holding the layer
who did not hold it just before: the rotation turning to another person, an
override beginning or ending, or a restricted layer's window opening (a
business-hours layer hands off every morning, as PagerDuty's "on-call shift
starts" notifications do). The same person continuing across a turn, or
across the edge of their own override, is no handoff.

The outgoing person is whoever held the layer just before. When the layer was
empty just before (its window was closed), it is the person whose shift on
another layer of the schedule ended at that instant, if any: in a
follow-the-sun schedule of regional layers, the region going off duty hands
over to the region coming on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.domain.schedule import OnCall, Schedule, oncall_at, shifts

_TICK = timedelta(microseconds=1)
#: How far ahead the next handoff is looked for; a layer quiet for longer has none.
SEARCH_LIMIT = timedelta(days=400)
_SEARCH_STEP = timedelta(days=35)
#: How far back the outgoing shift is followed for a report's period.
LOOKBACK = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class HandoffPoint:
    """At ``at`` on ``layer``, ``outgoing`` (or nobody) hands over to ``incoming``.

    ``period_start`` begins what the report covers: the outgoing person's
    uninterrupted time on the layer, or the empty stretch before ``at`` when
    nobody held the layer.
    """

    layer: str
    at: datetime
    outgoing: str | None
    incoming: str
    period_start: datetime


def _on(schedule: Schedule, layer: str, instant: datetime) -> OnCall:
    return next(each for each in oncall_at(schedule, instant) if each.layer == layer)


def is_handoff(schedule: Schedule, layer: str, at: datetime) -> bool:
    now = _on(schedule, layer, at)
    if now.person is None or now.start != at:
        return False
    return _on(schedule, layer, at - _TICK).person != now.person


def next_handoff(
    schedule: Schedule, layer: str, after: datetime, *, inclusive: bool
) -> datetime | None:
    """The first handoff on ``layer`` after ``after`` (or at it, if ``inclusive``), or None
    when there is none within :data:`SEARCH_LIMIT`."""
    start = after
    while start < after + SEARCH_LIMIT:
        end = start + _SEARCH_STEP
        for shift in shifts(schedule, start, end):
            if shift.layer != layer:
                continue
            if shift.start < after or (shift.start == after and not inclusive):
                continue
            if is_handoff(schedule, layer, shift.start):
                return shift.start
        start = end
    return None


def _period_start(schedule: Schedule, layer: str, before: OnCall, at: datetime) -> datetime:
    earliest = at - LOOKBACK
    cursor = before.start
    if before.person is None:
        return max(cursor, earliest)
    while cursor > earliest:
        previous = _on(schedule, layer, cursor - _TICK)
        if previous.person != before.person or previous.end != cursor:
            break
        cursor = previous.start
    return max(cursor, earliest)


def handoff_point(schedule: Schedule, layer: str, at: datetime) -> HandoffPoint | None:
    """Who hands over to whom at ``at`` on ``layer``, or None if ``at`` is no handoff there."""
    if not is_handoff(schedule, layer, at):
        return None
    incoming = _on(schedule, layer, at).person
    assert incoming is not None  # is_handoff checked
    before = _on(schedule, layer, at - _TICK)
    outgoing = before.person
    if outgoing is None:
        now_by_layer = {each.layer: each.person for each in oncall_at(schedule, at)}
        outgoing = next(
            (
                each.person
                for each in oncall_at(schedule, at - _TICK)
                if each.layer != layer
                and each.person is not None
                and each.end == at
                and now_by_layer[each.layer] != each.person
            ),
            None,
        )
    return HandoffPoint(layer, at, outgoing, incoming, _period_start(schedule, layer, before, at))
