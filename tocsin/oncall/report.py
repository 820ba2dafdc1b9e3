"""The on-call load report: per person, the figures for compensation and burnout checks.

For a range [start, end) and every person who was on call or handled an
incident in it:

* hours on call per schedule layer, and in total. The total counts time on
  call at all: an hour as primary of one schedule and secondary of another at
  once is one hour, so the total can be less than the sum of the layers;
* hours on call outside the person's working hours, in their own time zone
  (``working_hours`` of their user; Monday to Friday 09:00-17:00 when unset);
* incidents handled: incidents active in the range (detected before its end,
  not resolved before its start, drills excluded) on which the person held a
  role (commander, leads, scribe, responder, expert) at any time;
* pages received in the range, and how many of them arrived outside working
  hours.

The arithmetic is pure (:func:`compute`); :func:`load_report` gathers its
inputs from the database.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config.users import WEEKDAYS, WorkingHoursConfig
from tocsin.domain.restriction import Restriction, windows_for
from tocsin.domain.rotation import local_wall
from tocsin.domain.schedule import Shift, shifts
from tocsin.domain.timeline import EntryKind
from tocsin.incidents.tables import Incident, IncidentRoleHolder, TimelineRow
from tocsin.oncall import schedules
from tocsin.paging.tables import Page

Span = tuple[datetime, datetime]
HOUR = timedelta(hours=1)
#: Working hours of a person whose user says nothing: Monday to Friday, 09:00-17:00.
DEFAULT_WORKING_HOURS = Restriction(frozenset(range(5)), time(9), time(17))


@dataclass(frozen=True, slots=True)
class WorkingTime:
    """When a person works: weekly windows in their time zone."""

    time_zone: str
    hours: Restriction = DEFAULT_WORKING_HOURS


@dataclass
class PersonLoad:
    person: str
    time_zone: str
    on_call: timedelta = timedelta(0)
    outside_working_hours: timedelta = timedelta(0)
    #: (schedule, layer) -> time on call there.
    layers: dict[tuple[str, str], timedelta] = field(default_factory=dict)
    incidents_handled: int = 0
    pages: int = 0
    pages_outside_working_hours: int = 0


def merge(spans: Iterable[Span]) -> list[Span]:
    """The union of ``spans`` as sorted, disjoint spans."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def working_spans(working: WorkingTime, start: datetime, end: datetime) -> list[Span]:
    """The person's working time within [start, end), as UTC spans."""
    zone = ZoneInfo(working.time_zone)
    windows = windows_for([working.hours], zone)
    if windows is None:
        return [(start, end)]
    found = []
    number, window_start, window_end = windows.around(start, local_wall(start, zone))
    while window_start < end:
        if number % 2 == 0:
            found.append((max(window_start, start), min(window_end, end)))
        number += 1
        window_start, window_end = window_end, windows.boundary(number + 1)
    return [(first, last) for first, last in found if first < last]


def _overlap(spans: list[Span], others: list[Span]) -> timedelta:
    """Total overlap of two lists of sorted, disjoint spans."""
    total, index = timedelta(0), 0
    for start, end in spans:
        while index < len(others) and others[index][1] <= start:
            index += 1
        probe = index
        while probe < len(others) and others[probe][0] < end:
            total += min(end, others[probe][1]) - max(start, others[probe][0])
            probe += 1
    return total


def _inside(instant: datetime, spans: list[Span]) -> bool:
    return any(start <= instant < end for start, end in spans)


def compute(
    found: Iterable[tuple[str, Shift]],
    working: Mapping[str, WorkingTime],
    incidents: Mapping[str, int],
    pages: Mapping[str, list[datetime]],
    start: datetime,
    end: datetime,
) -> list[PersonLoad]:
    """Everyone's load over [start, end) from (schedule, shift) pairs clipped to the range,
    their working time (UTC working hours when missing), incidents handled and page times."""
    on_call: dict[str, list[Span]] = defaultdict(list)
    layers: dict[str, dict[tuple[str, str], timedelta]] = defaultdict(
        lambda: defaultdict(timedelta)
    )
    for schedule, shift in found:
        on_call[shift.person].append((shift.start, shift.end))
        layers[shift.person][(schedule, shift.layer)] += shift.end - shift.start
    people = sorted({*on_call, *(name for name, count in incidents.items() if count), *pages})
    loads = []
    for person in people:
        when = working.get(person, WorkingTime("UTC"))
        at_work = working_spans(when, start, end)
        spans = merge(on_call.get(person, []))
        total = sum((last - first for first, last in spans), timedelta(0))
        received = [instant for instant in pages.get(person, []) if start <= instant < end]
        loads.append(
            PersonLoad(
                person=person,
                time_zone=when.time_zone,
                on_call=total,
                outside_working_hours=total - _overlap(spans, at_work),
                layers=dict(sorted(layers[person].items())),
                incidents_handled=incidents.get(person, 0),
                pages=len(received),
                pages_outside_working_hours=sum(
                    1 for instant in received if not _inside(instant, at_work)
                ),
            )
        )
    return loads


# --- gathering the inputs -----------------------------------------------------------


def _working_time(user: User) -> WorkingTime:
    written = user.spec.get("working_hours")
    if not written:
        return WorkingTime(user.time_zone)
    hours = WorkingHoursConfig.model_validate(written)
    restriction = Restriction(
        frozenset(WEEKDAYS.index(day) for day in hours.days),
        time.fromisoformat(hours.start),
        time.fromisoformat(hours.end),
    )
    return WorkingTime(user.time_zone, restriction)


def _incidents_handled(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Per person, incidents active in [start, end) on which they held a role at any time."""
    active = (
        select(Incident.id)
        .where(Incident.drill.is_(False), Incident.detected_at < end)
        .where(or_(Incident.resolved_at.is_(None), Incident.resolved_at >= start))
    )
    handled: dict[str, set[int]] = defaultdict(set)
    holders = session.execute(
        select(IncidentRoleHolder.user_name, IncidentRoleHolder.incident_id).where(
            IncidentRoleHolder.incident_id.in_(active)
        )
    )
    for person, incident in holders:
        handled[person].add(incident)
    changes = session.execute(
        select(TimelineRow.incident_id, TimelineRow.details).where(
            TimelineRow.kind == EntryKind.ROLE_CHANGE.value, TimelineRow.incident_id.in_(active)
        )
    )
    for incident, details in changes:
        taker = details.get("to") if isinstance(details, dict) else None
        if taker:
            handled[str(taker)].add(incident)
    return {person: len(incidents) for person, incidents in handled.items()}


def _pages(session: Session, start: datetime, end: datetime) -> dict[str, list[datetime]]:
    received: dict[str, list[datetime]] = defaultdict(list)
    rows = session.execute(
        select(Page.user_name, Page.created_at).where(
            Page.created_at >= start, Page.created_at < end
        )
    )
    for person, at in rows:
        received[person].append(at)
    return received


def load_report(
    session: Session, start: datetime, end: datetime, schedule: str | None = None
) -> list[PersonLoad]:
    """The load of everyone over [start, end), on one schedule or all of them."""
    schedules.check_range(start, end, start_field="from", end_field="to", where="query")
    window = (start, end)
    loaded = (
        [schedules.load(session, schedule, window)]
        if schedule is not None
        else schedules.load_all(session, window)
    )
    found = [(each.name, shift) for each in loaded for shift in shifts(each.schedule, start, end)]
    working = {user.name: _working_time(user) for user in session.scalars(select(User))}
    return compute(
        found,
        working,
        _incidents_handled(session, start, end),
        _pages(session, start, end),
        start,
        end,
    )


def hours(span: timedelta) -> float:
    return round(span / HOUR, 2)


def as_json(load: PersonLoad) -> dict[str, Any]:
    return {
        "person": load.person,
        "time_zone": load.time_zone,
        "hours_on_call": hours(load.on_call),
        "hours_outside_working_hours": hours(load.outside_working_hours),
        "layers": [
            {"schedule": schedule, "layer": layer, "hours": hours(spent)}
            for (schedule, layer), spent in load.layers.items()
        ],
        "incidents_handled": load.incidents_handled,
        "pages": load.pages,
        "pages_outside_working_hours": load.pages_outside_working_hours,
    }


def as_csv(loads: list[PersonLoad]) -> str:
    """One row per person; one ``hours <schedule>/<layer>`` column per layer anyone held."""
    columns = sorted({key for load in loads for key in load.layers})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "person",
            "time_zone",
            "hours_on_call",
            "hours_outside_working_hours",
            "incidents_handled",
            "pages",
            "pages_outside_working_hours",
            *(f"hours {schedule}/{layer}" for schedule, layer in columns),
        ]
    )
    for load in loads:
        writer.writerow(
            [
                load.person,
                load.time_zone,
                hours(load.on_call),
                hours(load.outside_working_hours),
                load.incidents_handled,
                load.pages,
                load.pages_outside_working_hours,
                *(hours(load.layers.get(key, timedelta(0))) for key in columns),
            ]
        )
    return out.getvalue()
