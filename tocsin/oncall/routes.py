"""On-call: who is on call, shifts, overrides, swaps, fairness, calendar feeds, handoffs, load.

Times are ISO 8601 with a zone offset (``2026-01-12T10:00:00Z``); a time
without one is refused with 422 naming the field, because "10:00" means a
different instant for every reader. Ranges (``from``/``to``, ``start``/``end``)
must run forwards and span at most 366 days.

Viewers read; responders create overrides, swap requests and handoff notes;
only admins force an override past the fairness policies. The iCalendar feed
at ``/ical/{token}.ics`` needs no login: its token is the credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from tocsin.auth.accounts import Principal
from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.auth.roles import allows
from tocsin.domain.fairness import DEFAULT_HORIZON, check_fairness
from tocsin.domain.schedule import oncall_at, shifts
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import EARLIEST, LATEST, MAX_INTEGER
from tocsin.http.runtime import RuntimeDep
from tocsin.oncall import feeds, handoff, ical, overrides, report, schedules, swaps
from tocsin.oncall.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tocsin.oncall.tables import CalendarFeed, HandoffReport, OverrideRow, SwapRow

router = APIRouter(route_class=CheckedRoute, tags=["on-call"])

#: Text fields refuse NUL, which PostgreSQL cannot store.
NO_NUL = r"^[^\x00]*$"
DEFAULT_SHIFTS_SPAN = timedelta(days=7)

ScheduleName = Annotated[
    str, Path(description="The schedule's name", max_length=200, pattern=NO_NUL)
]
ItemId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
From = Annotated[
    AwareDatetime | None, Query(alias="from", description="Start (ISO 8601 with offset)")
]
To = Annotated[AwareDatetime | None, Query(alias="to", description="End, after from")]
UserField = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
LayerField = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    403: {"description": "Not allowed"},
    404: {"description": "No such schedule or item"},
    409: {"description": "Refused: fairness policy, or the item's state"},
    422: {"description": "Invalid input; the detail names the field"},
}


@contextmanager
def refusals(where: str) -> Iterator[None]:
    """Turn on-call refusals into HTTP answers; ``where`` (body or query) prefixes fields."""
    try:
        yield
    except InvalidInput as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": [where, error.field], "msg": error.reason, "type": "value_error"}],
        ) from error
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    except NotAllowed as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(error)) from error
    except Conflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error


def _instant(value: datetime, field: str) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise InvalidInput(field, f"must be between {EARLIEST.year} and {LATEST.year - 1}")
    return value.astimezone(UTC)


def _range(
    start: datetime | None, end: datetime | None, now: datetime, default_span: timedelta
) -> tuple[datetime, datetime]:
    first = _instant(start, "from") if start is not None else now
    last = _instant(end, "to") if end is not None else first + default_span
    schedules.check_range(first, last, start_field="from", end_field="to")
    return first, last


def _admin(principal: Principal) -> bool:
    return allows(principal.role, "admin")


# --- who is on call, shifts, fairness -------------------------------------------


class LayerOnCall(BaseModel):
    layer: str
    person: str | None = Field(description="Null when nobody holds the layer then")
    start: datetime = Field(description="When this person's shift (or the gap) began")
    end: datetime


class ScheduleOnCall(BaseModel):
    schedule: str
    time_zone: str
    at: datetime
    layers: list[LayerOnCall]


class ShiftOut(BaseModel):
    layer: str
    person: str
    start: datetime
    end: datetime
    override: bool = Field(description="An override put this person there")


class ViolationOut(BaseModel):
    policy: str
    person: str
    layer: str
    start: datetime
    end: datetime
    message: str


class FairnessOut(BaseModel):
    schedule: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    violations: list[ViolationOut]


@router.get(
    "/api/v1/oncall",
    response_model=list[ScheduleOnCall],
    summary="Who is on call on each layer, with their shift's start and end",
    responses={401: ERRORS[401], 404: ERRORS[404], 422: ERRORS[422]},
)
def who_is_on_call(
    _: Viewer,
    tocsin: RuntimeDep,
    schedule: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="Default: every schedule")
    ] = None,
    at: Annotated[AwareDatetime | None, Query(description="Default: now")] = None,
) -> list[ScheduleOnCall]:
    with refusals("query"), tocsin.database.sessions() as session:
        instant = _instant(at, "at") if at is not None else tocsin.clock.now()
        # Every override: one far from the instant can still end the shift around it.
        loaded = (
            [schedules.load(session, schedule)]
            if schedule is not None
            else schedules.load_all(session)
        )
    return [
        ScheduleOnCall(
            schedule=each.name,
            time_zone=each.schedule.time_zone,
            at=instant,
            layers=[
                LayerOnCall(layer=on.layer, person=on.person, start=on.start, end=on.end)
                for on in oncall_at(each.schedule, instant)
            ],
        )
        for each in loaded
    ]


@router.get(
    "/api/v1/schedules/{name}/shifts",
    response_model=list[ShiftOut],
    summary="Every shift in [from, to) (default: the next 7 days), by layer then start",
    responses=ERRORS,
)
def list_shifts(
    name: ScheduleName, _: Viewer, tocsin: RuntimeDep, start: From = None, end: To = None
) -> list[ShiftOut]:
    with refusals("query"), tocsin.database.sessions() as session:
        first, last = _range(start, end, tocsin.clock.now(), DEFAULT_SHIFTS_SPAN)
        loaded = schedules.load(session, name, (first, last))
    return [
        ShiftOut(layer=s.layer, person=s.person, start=s.start, end=s.end, override=s.override)
        for s in shifts(loaded.schedule, first, last)
    ]


@router.get(
    "/api/v1/schedules/{name}/fairness",
    response_model=FairnessOut,
    summary="Fairness policy violations over a horizon (default: 26 weeks from now)",
    responses=ERRORS,
)
def fairness(
    name: ScheduleName,
    _: Viewer,
    tocsin: RuntimeDep,
    start: From = None,
    weeks: Annotated[int, Query(ge=1, le=52, description="Horizon in weeks")] = (
        DEFAULT_HORIZON.days // 7
    ),
) -> FairnessOut:
    with refusals("query"), tocsin.database.sessions() as session:
        first = _instant(start, "from") if start is not None else tocsin.clock.now()
        loaded = schedules.load(session, name)
    horizon = timedelta(weeks=weeks)
    found = check_fairness(loaded.schedule, loaded.policies, first, horizon)
    return FairnessOut(
        schedule=loaded.name,
        start=first,
        end=first + horizon,
        violations=[
            ViolationOut(
                policy=v.policy,
                person=v.person,
                layer=v.layer,
                start=v.start,
                end=v.end,
                message=v.message,
            )
            for v in found
        ],
    )


# --- overrides -----------------------------------------------------------------


class OverrideCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "layer": "primary",
                    "user": "engineer-c",
                    "start": "2026-01-14T18:00:00Z",
                    "end": "2026-01-15T08:00:00Z",
                    "reason": "engineer-b at a wedding",
                }
            ]
        },
    )

    layer: LayerField
    user: UserField
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(default="", max_length=2000, pattern=NO_NUL)
    force: bool = Field(
        default=False, description="Admins only: create it even if it breaks fairness policies"
    )


class OverrideOut(BaseModel):
    id: int
    layer: str
    user: str
    start: datetime
    end: datetime
    reason: str
    created_by: str
    forced: bool
    created_at: datetime


def _override_out(row: OverrideRow) -> OverrideOut:
    return OverrideOut(
        id=row.id,
        layer=row.layer,
        user=row.user_name,
        start=row.start_at,
        end=row.end_at,
        reason=row.reason,
        created_by=row.created_by,
        forced=row.forced,
        created_at=row.created_at,
    )


@router.get(
    "/api/v1/schedules/{name}/overrides",
    response_model=list[OverrideOut],
    summary="Overrides made at runtime overlapping [from, to) (either end open), by start",
    responses=ERRORS,
)
def list_overrides(
    name: ScheduleName, _: Viewer, tocsin: RuntimeDep, start: From = None, end: To = None
) -> list[OverrideOut]:
    with refusals("query"), tocsin.database.sessions() as session:
        first = _instant(start, "from") if start is not None else None
        last = _instant(end, "to") if end is not None else None
        return [_override_out(row) for row in overrides.listing(session, name, first, last)]


@router.post(
    "/api/v1/schedules/{name}/overrides",
    status_code=201,
    response_model=OverrideOut,
    summary="Put someone on a layer for a range; refused (409) if it breaks a fairness policy",
    responses=ERRORS,
)
def create_override(
    name: ScheduleName,
    body: OverrideCreate,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> OverrideOut:
    with refusals("body"), tocsin.database.transaction() as session:
        row = overrides.create(
            session,
            name,
            layer=body.layer,
            user=body.user,
            start=_instant(body.start, "start"),
            end=_instant(body.end, "end"),
            reason=body.reason,
            actor=principal.name,
            admin=_admin(principal),
            force=body.force,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
        return _override_out(row)


@router.delete(
    "/api/v1/schedules/{name}/overrides/{override_id}",
    status_code=204,
    summary="Remove an override (its creator, the person it puts on call, or an admin)",
    responses=ERRORS,
)
def delete_override(
    name: ScheduleName,
    override_id: ItemId,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> None:
    with refusals("body"), tocsin.database.transaction() as session:
        overrides.delete(
            session,
            name,
            override_id,
            actor=principal.name,
            admin=_admin(principal),
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )


# --- swap requests ---------------------------------------------------------------


class SwapCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "layer": "primary",
                    "user": "engineer-c",
                    "start": "2026-01-07T10:00:00Z",
                    "end": "2026-01-08T10:00:00Z",
                    "message": "Dentist on Wednesday, could you take it?",
                }
            ]
        },
    )

    layer: LayerField
    user: UserField = Field(description="Who is asked to cover")
    start: AwareDatetime
    end: AwareDatetime
    message: str = Field(default="", max_length=2000, pattern=NO_NUL)


class SwapOut(BaseModel):
    id: int
    schedule: str
    layer: str
    requester: str
    covering: str
    start: datetime
    end: datetime
    message: str
    state: Literal["requested", "accepted", "declined", "cancelled"]
    override_id: int | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


def _swap_out(session: Session, swap: SwapRow) -> SwapOut:
    return SwapOut(
        id=swap.id,
        schedule=swaps.schedule_name(session, swap),
        layer=swap.layer,
        requester=swap.requester,
        covering=swap.covering,
        start=swap.start_at,
        end=swap.end_at,
        message=swap.message,
        state=swap.state,
        override_id=swap.override_id,
        created_at=swap.created_at,
        decided_at=swap.decided_at,
        decided_by=swap.decided_by,
    )


@router.post(
    "/api/v1/schedules/{name}/swaps",
    status_code=201,
    response_model=SwapOut,
    summary="Ask someone to cover part of your shift on a layer",
    responses=ERRORS,
)
def request_swap(
    name: ScheduleName, body: SwapCreate, principal: Responder, tocsin: RuntimeDep, request: Request
) -> SwapOut:
    with refusals("body"), tocsin.database.transaction() as session:
        swap = swaps.request(
            session,
            name,
            layer=body.layer,
            requester=principal.name,
            covering=body.user,
            start=_instant(body.start, "start"),
            end=_instant(body.end, "end"),
            message=body.message,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
        return _swap_out(session, swap)


@router.get(
    "/api/v1/swaps",
    response_model=list[SwapOut],
    summary="Swap requests you made or were asked (all of them for admins), newest first",
    responses={401: ERRORS[401], 422: ERRORS[422]},
)
def list_swaps(
    principal: Viewer,
    tocsin: RuntimeDep,
    state: Literal["requested", "accepted", "declined", "cancelled"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SwapOut]:
    with tocsin.database.sessions() as session:
        found = swaps.listing(
            session, user=principal.name, admin=_admin(principal), state=state, limit=limit
        )
        return [_swap_out(session, swap) for swap in found]


def _decide(
    action: Literal["accept", "decline", "cancel"],
    swap_id: int,
    principal: Principal,
    tocsin: RuntimeDep,
    request: Request,
) -> SwapOut:
    now, addr = tocsin.clock.now(), remote_addr(request)
    with refusals("body"), tocsin.database.transaction() as session:
        if action == "accept":
            swap = swaps.accept(session, swap_id, actor=principal.name, now=now, remote_addr=addr)
        elif action == "decline":
            swap = swaps.decline(session, swap_id, actor=principal.name, now=now, remote_addr=addr)
        else:
            swap = swaps.cancel(
                session,
                swap_id,
                actor=principal.name,
                admin=_admin(principal),
                now=now,
                remote_addr=addr,
            )
        return _swap_out(session, swap)


@router.post(
    "/api/v1/swaps/{swap_id}/accept",
    response_model=SwapOut,
    summary="Take the range over (only the person asked); fairness-checked like an override",
    responses=ERRORS,
)
def accept_swap(
    swap_id: ItemId, principal: Responder, tocsin: RuntimeDep, request: Request
) -> SwapOut:
    return _decide("accept", swap_id, principal, tocsin, request)


@router.post(
    "/api/v1/swaps/{swap_id}/decline",
    response_model=SwapOut,
    summary="Say no (only the person asked)",
    responses=ERRORS,
)
def decline_swap(
    swap_id: ItemId, principal: Responder, tocsin: RuntimeDep, request: Request
) -> SwapOut:
    return _decide("decline", swap_id, principal, tocsin, request)


@router.post(
    "/api/v1/swaps/{swap_id}/cancel",
    response_model=SwapOut,
    summary="Withdraw a request (the requester or an admin)",
    responses=ERRORS,
)
def cancel_swap(
    swap_id: ItemId, principal: Responder, tocsin: RuntimeDep, request: Request
) -> SwapOut:
    return _decide("cancel", swap_id, principal, tocsin, request)


# --- calendar feeds -------------------------------------------------------------


class FeedCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"schedule": "on-call-schedule"}, {"user": "engineer-a"}]},
    )

    schedule: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    user: str | None = Field(default=None, min_length=1, max_length=100, pattern=NO_NUL)


class FeedOut(BaseModel):
    id: int
    schedule: str | None
    user: str | None
    prefix: str = Field(description="The token's first characters, to tell feeds apart")
    created_by: str
    created_at: datetime


class FeedCreated(FeedOut):
    token: str = Field(description="Shown once; only its digest is stored")
    url: str = Field(description="Subscribe to this in a calendar app")


def _feed_out(session: Session, feed: CalendarFeed) -> FeedOut:
    schedule, user = feeds.subject(session, feed)
    return FeedOut(
        id=feed.id,
        schedule=schedule,
        user=user,
        prefix=feed.prefix,
        created_by=feed.created_by,
        created_at=feed.created_at,
    )


@router.post(
    "/api/v1/calendar-feeds",
    status_code=201,
    response_model=FeedCreated,
    summary="A secret iCalendar URL for a schedule or a person; the token is shown once",
    responses=ERRORS,
)
def create_feed(
    body: FeedCreate, principal: Viewer, tocsin: RuntimeDep, request: Request
) -> FeedCreated:
    with refusals("body"), tocsin.database.transaction() as session:
        feed, token = feeds.create(
            session,
            schedule=body.schedule,
            user=body.user,
            actor=principal.name,
            admin=_admin(principal),
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
        out = _feed_out(session, feed)
    url = str(request.url_for("calendar_feed", token=token))
    return FeedCreated(**out.model_dump(), token=token, url=url)


@router.get(
    "/api/v1/calendar-feeds",
    response_model=list[FeedOut],
    summary="Live feeds you created or that show your shifts (all of them for admins)",
    responses={401: ERRORS[401]},
)
def list_feeds(principal: Viewer, tocsin: RuntimeDep) -> list[FeedOut]:
    with tocsin.database.sessions() as session:
        found = feeds.listing(session, actor=principal.name, admin=_admin(principal))
        return [_feed_out(session, feed) for feed in found]


@router.delete(
    "/api/v1/calendar-feeds/{feed_id}",
    status_code=204,
    summary="Revoke a feed: its URL answers 404 from now on",
    responses=ERRORS,
)
def revoke_feed(feed_id: ItemId, principal: Viewer, tocsin: RuntimeDep, request: Request) -> None:
    with refusals("body"), tocsin.database.transaction() as session:
        feeds.revoke(
            session,
            feed_id,
            actor=principal.name,
            admin=_admin(principal),
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )


@router.get(
    "/ical/{token}.ics",
    name="calendar_feed",
    summary="The iCalendar feed a token opens (no login: the token is the credential)",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"},
        404: {"description": "Unknown or revoked token"},
    },
)
def calendar_feed(
    token: Annotated[str, Path(max_length=100, pattern=NO_NUL)], tocsin: RuntimeDep
) -> Response:
    now = tocsin.clock.now()
    start, end = now - ical.FEED_PAST, now + ical.FEED_AHEAD
    with tocsin.database.sessions() as session:
        feed = feeds.find(session, token)
        if feed is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such calendar feed")
        schedule, user = feeds.subject(session, feed)
        # Every override: shifts crossing the window's edges are given whole.
        if schedule is not None:
            loaded = [schedules.load(session, schedule)]
            title = f"On call: {schedule}"
        else:
            loaded = schedules.load_all(session)
            title = f"On call: {user}"
    body = ical.calendar(title, ical.feed_shifts(loaded, user, start, end), now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


# --- handoffs ----------------------------------------------------------------------


class HandoffOut(BaseModel):
    id: int
    layer: str
    at: datetime
    outgoing: str | None
    incoming: str
    period_start: datetime
    report: dict[str, Any] = Field(
        description="incidents_during_shift, open_incidents, unresolved_alerts, notes"
    )


class NoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"text": "Disk on db-3 fills up around 02:00; runbook updated."}]
        },
    )

    text: str = Field(min_length=1, max_length=20_000, pattern=NO_NUL)
    layer: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="Default: the next handoff on every layer",
    )


class NoteOut(BaseModel):
    id: int
    layer: str | None
    author: str
    text: str
    created_at: datetime


def _handoff_out(row: HandoffReport) -> HandoffOut:
    return HandoffOut(
        id=row.id,
        layer=row.layer,
        at=row.at,
        outgoing=row.outgoing,
        incoming=row.incoming,
        period_start=row.period_start,
        report=row.report,
    )


@router.get(
    "/api/v1/schedules/{name}/handoffs",
    response_model=list[HandoffOut],
    summary="Stored handoff reports, newest first",
    responses=ERRORS,
)
def list_handoffs(
    name: ScheduleName,
    _: Viewer,
    tocsin: RuntimeDep,
    layer: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[HandoffOut]:
    with refusals("query"), tocsin.database.sessions() as session:
        return [
            _handoff_out(row) for row in handoff.reports(session, name, layer=layer, limit=limit)
        ]


@router.post(
    "/api/v1/schedules/{name}/handoff-notes",
    status_code=201,
    response_model=NoteOut,
    summary="Leave a note that the next handoff report carries",
    responses=ERRORS,
)
def create_note(
    name: ScheduleName, body: NoteCreate, principal: Responder, tocsin: RuntimeDep, request: Request
) -> NoteOut:
    with refusals("body"), tocsin.database.transaction() as session:
        note = handoff.add_note(
            session,
            name,
            layer=body.layer,
            author=principal.name,
            text=body.text,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
        return NoteOut(
            id=note.id,
            layer=note.layer,
            author=note.author,
            text=note.text,
            created_at=note.created_at,
        )


# --- load report ---------------------------------------------------------------------


class LayerHours(BaseModel):
    schedule: str
    layer: str
    hours: float


class PersonLoadOut(BaseModel):
    person: str
    time_zone: str
    hours_on_call: float = Field(description="Time on call on any layer (overlaps counted once)")
    hours_outside_working_hours: float
    layers: list[LayerHours]
    incidents_handled: int
    pages: int
    pages_outside_working_hours: int


class LoadReportOut(BaseModel):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    schedule: str | None
    people: list[PersonLoadOut]


@router.get(
    "/api/v1/oncall/report",
    response_model=LoadReportOut,
    summary="On-call load per person over [from, to): hours, after-hours, incidents, pages",
    responses={
        **ERRORS,
        200: {"content": {"application/json": {}, "text/csv": {}}, "description": "The report"},
    },
)
def load_report(
    _: Viewer,
    tocsin: RuntimeDep,
    start: Annotated[AwareDatetime, Query(alias="from", description="Start (ISO 8601)")],
    end: Annotated[AwareDatetime, Query(alias="to", description="End, after from")],
    schedule: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="Default: every schedule")
    ] = None,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Any:
    with refusals("query"), tocsin.database.sessions() as session:
        first = _instant(start, "from")
        last = _instant(end, "to")
        loads = report.load_report(session, first, last, schedule)
    if format_ == "csv":
        return Response(report.as_csv(loads), media_type="text/csv; charset=utf-8")
    return LoadReportOut(
        start=first,
        end=last,
        schedule=schedule,
        people=[PersonLoadOut.model_validate(report.as_json(load)) for load in loads],
    )
