"""One schedule's calendar (a week or a month of shifts, overrides marked) and what changes it.

From the calendar a responder puts someone on a layer for a while (an
override), asks someone to cover part of their own shift (a swap request) or
leaves a note for the next handoff. A fairness refusal comes back on the same
page with its reason and what was typed; admins may force past it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.config import known_names
from tocsin.console.fields import day, local_instant, midnight
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.viewer import Responding, SignedIn, Viewer
from tocsin.domain.refusals import Refusal
from tocsin.domain.schedule import Shift, shifts
from tocsin.http.runtime import Runtime, RuntimeDep
from tocsin.oncall import handoff_reports, overrides, schedules, swaps

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Name = Annotated[str, Path(max_length=200)]
#: Handoff reports shown under the calendar.
HANDOFFS_SHOWN = 5


@dataclass
class Day:
    day: date
    shifts: list[tuple[Shift, datetime, datetime]] = field(default_factory=list)
    outside: bool = False


def _grid(view: str, anchor: date) -> tuple[date, date]:
    """The first day the calendar shows and the day after its last (whole weeks)."""
    if view == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        grid_start = first - timedelta(days=first.weekday())
        grid_end = following + timedelta(days=(7 - following.weekday()) % 7)
        return grid_start, grid_end
    monday = anchor - timedelta(days=anchor.weekday())
    return monday, monday + timedelta(days=7)


def _calendar(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    name: str,
    view: str,
    start: str,
    *,
    values: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    zone = viewer.zone
    today = tocsin.clock.now().astimezone(zone).date()
    anchor = day(start, "start") or today
    first_day, end_day = _grid(view, anchor)
    first, last = midnight(first_day, zone), midnight(end_day, zone)
    with tocsin.database.sessions() as session:
        loaded = schedules.load(session, name, (first, last))
        layers = [layer.name for layer in loaded.schedule.layers]
        people = known_names.users(session)
        handoffs = handoff_reports.reports(session, name, layer=None, limit=HANDOFFS_SHOWN)
    found = shifts(loaded.schedule, first, last)
    days = []
    current = first_day
    while current < end_day:
        day_start = datetime.combine(current, time(), tzinfo=zone)
        day_end = day_start + timedelta(days=1)
        cell = Day(current, outside=view == "month" and current.month != anchor.month)
        for shift in found:
            begins, ends = shift.start.astimezone(zone), shift.end.astimezone(zone)
            if begins < day_end and ends > day_start:
                cell.shifts.append((shift, max(begins, day_start), min(ends, day_end)))
        days.append(cell)
        current += timedelta(days=1)
    span = timedelta(days=7) if view == "week" else timedelta(days=31)
    step = anchor - span if view == "week" else (anchor.replace(day=1) - timedelta(days=1))
    after = anchor + span if view == "week" else (anchor.replace(day=1) + timedelta(days=32))
    return page(
        request,
        "oncall/calendar.html",
        viewer,
        {
            "name": name,
            "view": view,
            "days": days,
            "layers": layers,
            "people": people,
            "handoffs": handoffs,
            "previous": step.isoformat(),
            "next": after.isoformat(),
            "anchor": anchor,
            "values": values or {},
            "errors": errors or [],
            "now": tocsin.clock.now(),
        },
        status_code=status_code,
    )


@router.get("/oncall/schedules/{name}", response_class=HTMLResponse)
def calendar(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    name: Name,
    view: Annotated[str, Query(pattern="^(week|month)$")] = "week",
    start: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    return _calendar(request, viewer, tocsin, name, view, start)


def _refused_here(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    name: str,
    values: dict[str, Any],
    error: Refusal,
) -> Response:
    code, errors = explained(error)
    start = values.get("start", "")[:10]
    return _calendar(
        request, viewer, tocsin, name, "week", start, values=values, errors=errors, status_code=code
    )


@router.post("/oncall/schedules/{name}/overrides", response_class=HTMLResponse)
def create_override(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    name: Name,
    layer: Annotated[str, Form(max_length=200)] = "",
    user: Annotated[str, Form(max_length=100)] = "",
    start: Annotated[str, Form(max_length=40)] = "",
    end: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    force: Annotated[bool, Form()] = False,
) -> Response:
    values = {"form": "override", "layer": layer, "user": user, "start": start, "end": end}
    values["reason"] = reason
    try:
        with tocsin.database.transaction() as session:
            overrides.create(
                session,
                name,
                layer=layer,
                user=user,
                start=local_instant(start, viewer, "start"),
                end=local_instant(end, viewer, "end"),
                reason=reason,
                actor=viewer.name,
                admin=viewer.is_admin,
                force=force and viewer.is_admin,
                now=tocsin.clock.now(),
                remote_addr=None,
            )
    except Refusal as error:
        return _refused_here(request, viewer, tocsin, name, values, error)
    return RedirectResponse(
        f"/oncall/schedules/{name}?start={start[:10]}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/oncall/schedules/{name}/swaps", response_class=HTMLResponse)
def request_swap(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    name: Name,
    layer: Annotated[str, Form(max_length=200)] = "",
    user: Annotated[str, Form(max_length=100)] = "",
    start: Annotated[str, Form(max_length=40)] = "",
    end: Annotated[str, Form(max_length=40)] = "",
    message: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"form": "swap", "layer": layer, "user": user, "start": start, "end": end}
    try:
        with tocsin.database.transaction() as session:
            swaps.request(
                session,
                name,
                layer=layer,
                requester=viewer.name,
                covering=user,
                start=local_instant(start, viewer, "start"),
                end=local_instant(end, viewer, "end"),
                message=message,
                now=tocsin.clock.now(),
                remote_addr=None,
            )
    except Refusal as error:
        return _refused_here(request, viewer, tocsin, name, values, error)
    return RedirectResponse(
        f"/oncall/schedules/{name}?start={start[:10]}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/oncall/schedules/{name}/handoff-notes")
def add_handoff_note(
    viewer: Responding,
    tocsin: RuntimeDep,
    name: Name,
    text: Annotated[str, Form(min_length=1, max_length=5000)],
    layer: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    with tocsin.database.transaction() as session:
        handoff_reports.add_note(
            session,
            name,
            layer=layer or None,
            author=viewer.name,
            text=text,
            now=tocsin.clock.now(),
            remote_addr=None,
        )
    return RedirectResponse(f"/oncall/schedules/{name}#handoffs", status_code=303)
