"""``/api/v1/silences`` and ``/api/v1/maintenance-windows``: what holds paging back.

Viewers read; responders create and expire silences. Maintenance windows
come from configuration and are only listed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from tocsin.alerts import silences
from tocsin.alerts.configured import cache_for
from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.alerts.schemas import MaintenanceWindowOut, SilenceCreate, SilenceOut
from tocsin.alerts.tables import SilenceRow
from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import MAX_INTEGER

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["alerts"])

SilenceId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The silence's id")]


def silence_out(row: SilenceRow, now: datetime) -> SilenceOut:
    return SilenceOut(
        id=row.id,
        matchers=row.matchers,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
        created_at=row.created_at,
        expired_by=row.expired_by,
        active=row.starts_at <= now < row.ends_at,
    )


@router.get("/silences", response_model=list[SilenceOut], summary="List silences")
def list_silences(
    _: Viewer,
    tocsin: AlertsRuntimeDep,
    include_expired: Annotated[bool, Query(description="Also silences that ended")] = False,
) -> list[SilenceOut]:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        rows = silences.listing(session, now=now, include_expired=include_expired)
        return [silence_out(row, now) for row in rows]


@router.post(
    "/silences",
    status_code=status.HTTP_201_CREATED,
    response_model=SilenceOut,
    summary="Silence alerts matching every matcher until ends_at",
    responses={422: {"description": "A matcher or a time is invalid; the field is named"}},
)
def create_silence(
    body: SilenceCreate, principal: Responder, tocsin: AlertsRuntimeDep, request: Request
) -> SilenceOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        row = silences.create(
            session,
            matchers=body.matchers,
            starts_at=body.starts_at or now,
            ends_at=body.ends_at,
            author=principal.name,
            comment=body.comment,
            now=now,
            remote_addr=remote_addr(request),
        )
        return silence_out(row, now)


@router.post(
    "/silences/{silence_id}/expire",
    response_model=SilenceOut,
    summary="End a silence now (held-back groups that are still open page)",
    responses={404: {"description": "No such silence"}},
)
def expire_silence(
    silence_id: SilenceId, principal: Responder, tocsin: AlertsRuntimeDep, request: Request
) -> SilenceOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        row = silences.expire(
            session, silence_id, actor=principal.name, now=now, remote_addr=remote_addr(request)
        )
        return silence_out(row, now)


@router.get(
    "/maintenance-windows",
    response_model=list[MaintenanceWindowOut],
    summary="Maintenance windows from configuration",
)
def list_maintenance_windows(_: Viewer, tocsin: AlertsRuntimeDep) -> list[MaintenanceWindowOut]:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        windows = cache_for(tocsin.database).get(session).maintenance_windows
    return [
        MaintenanceWindowOut(
            name=window.name,
            services=sorted(window.services),
            start=window.starts_at,
            end=window.ends_at,
            comment="",
            active=window.starts_at <= now < window.ends_at,
        )
        for window in windows
    ]
