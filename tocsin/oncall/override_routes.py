"""The API of overrides made at runtime: list, create (fairness-checked), remove."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.oncall import overrides
from tocsin.oncall.route_params import (
    ERRORS,
    NO_NUL,
    From,
    ItemId,
    LayerField,
    ScheduleName,
    To,
    UserField,
    instant,
    is_admin,
)
from tocsin.oncall.tables import OverrideRow

router = APIRouter(route_class=CheckedRoute, tags=["on-call"])


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
    with tocsin.database.sessions() as session:
        first = instant(start, "from", "query") if start is not None else None
        last = instant(end, "to", "query") if end is not None else None
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
    with tocsin.database.transaction() as session:
        row = overrides.create(
            session,
            name,
            layer=body.layer,
            user=body.user,
            start=instant(body.start, "start", "body"),
            end=instant(body.end, "end", "body"),
            reason=body.reason,
            actor=principal.name,
            admin=is_admin(principal),
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
    with tocsin.database.transaction() as session:
        overrides.delete(
            session,
            name,
            override_id,
            actor=principal.name,
            admin=is_admin(principal),
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
