"""The API of the on-call load report, as JSON or CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from tocsin.auth.deps import Viewer
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.oncall import report
from tocsin.oncall.route_params import ERRORS, ScheduleFilter, instant

router = APIRouter(route_class=CheckedRoute, tags=["on-call"])


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
    schedule: ScheduleFilter = None,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Any:
    with tocsin.database.sessions() as session:
        first = instant(start, "from", "query")
        last = instant(end, "to", "query")
        loads = report.load_report(session, first, last, schedule)
    if format_ == "csv":
        return Response(report.as_csv(loads), media_type="text/csv; charset=utf-8")
    return LoadReportOut(
        start=first,
        end=last,
        schedule=schedule,
        people=[PersonLoadOut.model_validate(report.as_json(load)) for load in loads],
    )
