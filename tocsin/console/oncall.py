"""The console's on-call pages: who is on call now and next, my shifts and feed, the load report.

The calendar of one schedule, with its overrides, swaps and handoffs, is
:mod:`tocsin.console.oncall_calendar`, included here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.console import oncall_calendar
from tocsin.console.fields import day, midnight
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn, Viewer, Viewing
from tocsin.domain.refusals import Invalid
from tocsin.domain.schedule import oncall_at, shifts
from tocsin.http.runtime import Runtime, RuntimeDep
from tocsin.oncall import feeds, schedules, swaps
from tocsin.paging import load_report as report

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
router.include_router(oncall_calendar.router)

#: How far ahead "next" and "my shifts" look.
AHEAD = timedelta(days=28)
#: Swap requests shown on "my shifts", newest first.
SWAPS_SHOWN = 20


@router.get("/oncall", response_class=HTMLResponse)
def now_and_next(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    """Every schedule's layers: who holds each now, and who comes next."""
    now = tocsin.clock.now()
    rows = []
    with tocsin.database.sessions() as session:
        for loaded in schedules.load_all(session, (now - timedelta(days=1), now + AHEAD)):
            coming = shifts(loaded.schedule, now, now + AHEAD)
            for on in oncall_at(loaded.schedule, now):
                following = next(
                    (
                        shift
                        for shift in coming
                        if shift.layer == on.layer
                        and shift.start >= (on.end or now)
                        and shift.person != on.person
                    ),
                    None,
                )
                rows.append((loaded.name, on, following))
    return page(request, "oncall/now.html", viewer, {"rows": rows, "now": now})


def _me_page(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    *,
    created: str | None = None,
    status_code: int = 200,
) -> Response:
    now = tocsin.clock.now()
    mine = []
    with tocsin.database.sessions() as session:
        for loaded in schedules.load_all(session, (now, now + AHEAD)):
            for shift in shifts(loaded.schedule, now, now + AHEAD):
                if shift.person == viewer.name:
                    mine.append((loaded.name, shift))
        my_feeds = [
            (feed, feeds.subject(session, feed))
            for feed in feeds.listing(session, actor=viewer.name, admin=False)
        ]
        my_swaps = [
            (swap, swaps.schedule_name(session, swap))
            for swap in swaps.listing(
                session, user=viewer.name, admin=False, state=None, limit=SWAPS_SHOWN
            )
        ]
    mine.sort(key=lambda item: item[1].start)
    return page(
        request,
        "oncall/me.html",
        viewer,
        {"mine": mine, "feeds": my_feeds, "swaps": my_swaps, "now": now, "created": created},
        status_code=status_code,
    )


@router.get("/oncall/me", response_class=HTMLResponse)
def my_shifts(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    """My shifts in the next four weeks, and my calendar feeds."""
    return _me_page(request, viewer, tocsin)


@router.post("/oncall/me/feed", response_class=HTMLResponse)
def create_my_feed(request: Request, viewer: Viewing, tocsin: RuntimeDep) -> Response:
    """A secret iCalendar URL of the viewer's own shifts, shown once on the answer."""
    with tocsin.database.transaction() as session:
        _, token = feeds.create(
            session,
            schedule=None,
            user=viewer.name,
            actor=viewer.name,
            admin=viewer.is_admin,
            now=tocsin.clock.now(),
            remote_addr=None,
        )
    url = str(request.url_for("calendar_feed", token=token))
    return _me_page(request, viewer, tocsin, created=url, status_code=status.HTTP_201_CREATED)


@router.get("/oncall/report", response_class=HTMLResponse)
def load(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """Hours on call, after hours, incidents and pages per person over a range of days."""
    today = tocsin.clock.now().astimezone(viewer.zone).date()
    first_day = day(start, "from") or today - timedelta(days=28)
    last_day = day(end, "to") or today
    if last_day <= first_day:
        raise Invalid("to", "must be after from", where="query")
    first, last = midnight(first_day, viewer.zone), midnight(last_day, viewer.zone)
    with tocsin.database.sessions() as session:
        loads = [report.as_json(one) for one in report.load_report(session, first, last, None)]
    return page(
        request,
        "oncall/report.html",
        viewer,
        {"loads": loads, "start": first_day.isoformat(), "end": last_day.isoformat()},
    )


@router.post("/oncall/swaps/{swap_id}/{answer}")
def answer_swap(
    viewer: Responding,
    tocsin: RuntimeDep,
    swap_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    answer: Annotated[Literal["accept", "decline", "cancel"], Path()],
) -> Response:
    """Take a shift over (fairness-checked), say no, or withdraw one's own request."""
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        if answer == "accept":
            swaps.accept(session, swap_id, actor=viewer.name, now=now, remote_addr=None)
        elif answer == "decline":
            swaps.decline(session, swap_id, actor=viewer.name, now=now, remote_addr=None)
        else:
            swaps.cancel(
                session,
                swap_id,
                actor=viewer.name,
                admin=viewer.is_admin,
                now=now,
                remote_addr=None,
            )
    return RedirectResponse("/oncall/me#swaps-title", status_code=status.HTTP_303_SEE_OTHER)
