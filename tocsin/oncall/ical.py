"""iCalendar (RFC 5545) feeds of shifts, for calendar apps to subscribe to.

A feed covers :data:`FEED_PAST` back to :data:`FEED_AHEAD` ahead of now, one
VEVENT per shift (:func:`tocsin.domain.schedule.shifts`) with the layer in its
SUMMARY and DTSTART/DTEND in UTC. Shifts crossing the window's edges are
given whole, not cut there, so an event does not change every time the feed
is fetched. A UID is derived from the schedule, layer, person and start,
which no two shifts share: an event keeps its UID across fetches for as long
as the shift stays the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Calendar, Event, vDuration

from tocsin.domain.schedule import OnCall, Shift, oncall_at, shifts
from tocsin.oncall.schedules import LoadedSchedule

FEED_PAST = timedelta(weeks=4)
FEED_AHEAD = timedelta(weeks=26)
PRODID = "-//Tocsin//On-call schedules//EN"
_TICK = timedelta(microseconds=1)
#: How often calendar clients are asked to fetch a feed again.
REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FeedShift:
    schedule: str
    shift: Shift


def _piece(loaded: LoadedSchedule, layer: str, instant: datetime) -> OnCall:
    return next(each for each in oncall_at(loaded.schedule, instant) if each.layer == layer)


def _whole(loaded: LoadedSchedule, shift: Shift, start: datetime, end: datetime) -> Shift:
    """``shift`` with the ends the window cut off restored (see the module docstring)."""
    first, last = shift.start, shift.end
    if first == start:
        first = _piece(loaded, shift.layer, start).start
    if last == end:
        last = _piece(loaded, shift.layer, end - _TICK).end
    return Shift(shift.layer, shift.person, first, last, shift.override)


def feed_shifts(
    loaded: Iterable[LoadedSchedule], person: str | None, start: datetime, end: datetime
) -> list[FeedShift]:
    """Shifts of ``loaded`` schedules over [start, end), whole; only ``person``'s when given."""
    found = []
    for each in loaded:
        for shift in shifts(each.schedule, start, end):
            if person is None or shift.person == person:
                found.append(FeedShift(each.name, _whole(each, shift, start, end)))
    found.sort(key=lambda item: (item.shift.start, item.schedule, item.shift.layer))
    return found


def uid(schedule: str, shift: Shift) -> str:
    key = f"{schedule}\0{shift.layer}\0{shift.person}\0{shift.start.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@tocsin"


def calendar(title: str, found: Iterable[FeedShift], now: datetime) -> bytes:
    """The RFC 5545 text of a feed called ``title``."""
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", title)
    # RFC 5545 durations (PT1H): added as plain timedeltas, icalendar writes an
    # X- property as text ("1:00:00"), which calendar clients do not understand.
    feed.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    feed.add("x-published-ttl", vDuration(REFRESH))
    for item in found:
        shift = item.shift
        event = Event()
        event.add("uid", uid(item.schedule, shift))
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"{shift.layer} on call: {shift.person} ({item.schedule})")
        kind = "an override" if shift.override else "the rotation"
        event.add(
            "description",
            f"{shift.person} holds the {shift.layer} layer of schedule {item.schedule} ({kind}).",
        )
        event.add("transp", "TRANSPARENT")
        feed.add_component(event)
    text: bytes = feed.to_ical()
    return text
