"""The API of handoffs: the stored reports, and notes for the next one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.oncall import handoff_reports
from tocsin.oncall.route_params import ERRORS, NO_NUL, ScheduleName
from tocsin.oncall.tables import HandoffReport

router = APIRouter(route_class=CheckedRoute, tags=["on-call"])


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
    with tocsin.database.sessions() as session:
        found = handoff_reports.reports(session, name, layer=layer, limit=limit)
        return [_handoff_out(row) for row in found]


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
    with tocsin.database.transaction() as session:
        note = handoff_reports.add_note(
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
