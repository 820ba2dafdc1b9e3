"""The API of swap requests: ask someone to cover part of a shift; they accept or decline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from tocsin.auth.accounts import Principal
from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.oncall import swaps
from tocsin.oncall.route_params import (
    ERRORS,
    NO_NUL,
    ItemId,
    LayerField,
    ScheduleName,
    UserField,
    instant,
    is_admin,
)
from tocsin.oncall.tables import SwapRow

router = APIRouter(route_class=CheckedRoute, tags=["on-call"])

SwapState = Literal["requested", "accepted", "declined", "cancelled"]


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
    state: SwapState
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
    with tocsin.database.transaction() as session:
        swap = swaps.request(
            session,
            name,
            layer=body.layer,
            requester=principal.name,
            covering=body.user,
            start=instant(body.start, "start", "body"),
            end=instant(body.end, "end", "body"),
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
    state: SwapState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SwapOut]:
    with tocsin.database.sessions() as session:
        found = swaps.listing(
            session, user=principal.name, admin=is_admin(principal), state=state, limit=limit
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
    with tocsin.database.transaction() as session:
        if action == "accept":
            swap = swaps.accept(session, swap_id, actor=principal.name, now=now, remote_addr=addr)
        elif action == "decline":
            swap = swaps.decline(session, swap_id, actor=principal.name, now=now, remote_addr=addr)
        else:
            swap = swaps.cancel(
                session,
                swap_id,
                actor=principal.name,
                admin=is_admin(principal),
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
