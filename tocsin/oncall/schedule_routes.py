"""The API of schedules as they stand: who is on call, the shifts, fairness."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from tocsin.auth.deps import Viewer
from tocsin.domain.fairness import DEFAULT_HORIZON, check_fairness
from tocsin.domain.schedule import oncall_at, shifts
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.oncall import schedules
from tocsin.oncall.route_params import (
    ERRORS,
    From,
    ScheduleFilter,
    ScheduleName,
    To,
    instant,
    query_range,
)

router = APIRouter(route_class=CheckedRoute, tags=["on-call"])

DEFAULT_SHIFTS_SPAN = timedelta(days=7)


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
    schedule: ScheduleFilter = None,
    at: Annotated[AwareDatetime | None, Query(description="Default: now")] = None,
) -> list[ScheduleOnCall]:
    with tocsin.database.sessions() as session:
        moment = instant(at, "at", "query") if at is not None else tocsin.clock.now()
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
            at=moment,
            layers=[
                LayerOnCall(layer=on.layer, person=on.person, start=on.start, end=on.end)
                for on in oncall_at(each.schedule, moment)
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
    with tocsin.database.sessions() as session:
        first, last = query_range(start, end, tocsin.clock.now(), DEFAULT_SHIFTS_SPAN)
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
    with tocsin.database.sessions() as session:
        first = instant(start, "from", "query") if start is not None else tocsin.clock.now()
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
