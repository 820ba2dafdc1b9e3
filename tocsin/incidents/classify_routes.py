"""Severity levels and classification: which level an impact calls for, and why."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from tocsin.auth.deps import Viewer
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import configured, suggesting
from tocsin.incidents.schemas import (
    ClassifyRequest,
    ClassifyResponse,
    ErrorOut,
    SeverityOut,
    ValidationErrorOut,
)

router = APIRouter(prefix="/api/v1", route_class=CheckedRoute, tags=["severity"])


@router.post(
    "/classify",
    response_model=ClassifyResponse,
    summary="Suggest a severity level from impact dimensions, with the reasons",
    description="Applies the seeds' guidelines with the configured thresholds: users affected "
    "set the starting level, revenue share and critical or important business functions raise "
    "it, an effective workaround lowers it one level, and uncertainty suggests the higher "
    "level.",
    responses={
        401: {"model": ErrorOut, "description": "Not authenticated"},
        422: {"model": ValidationErrorOut, "description": "A field is invalid; it is named"},
    },
)
def classify_impact(body: ClassifyRequest, _: Viewer, tocsin: RuntimeDep) -> ClassifyResponse:
    with tocsin.database.sessions() as session:
        return suggesting.suggest(session, body)


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


@router.get(
    "/severities",
    response_model=list[SeverityOut],
    summary="The configured severity levels, most severe first",
    description="The seed's SEV-1..SEV-4 unless configuration defines others. Each level has "
    "its words as written and the typed values Tocsin computes with.",
    responses={401: {"model": ErrorOut, "description": "Not authenticated"}},
)
def list_severities(_: Viewer, tocsin: RuntimeDep) -> list[SeverityOut]:
    with tocsin.database.sessions() as session:
        scale = configured.scale(session)
    return [
        SeverityOut(
            level=level.level,
            name=level.name,
            rank=level.rank,
            description=level.description,
            response_time=level.response_time.text,
            response_time_seconds=(
                _seconds(level.response_time.within)
                if isinstance(level.response_time.within, timedelta)
                else None
            ),
            communication=level.communication.text,
            communication_every_seconds=_seconds(level.communication.every),
            escalation=level.escalation.text,
            escalation_audience=list(level.escalation.roles),
            examples=list(level.examples),
            formal_declaration=configured.needs_formal_declaration(level),
        )
        for level in scale
    ]
