"""``/api/v1/metrics``: response times, frequency, alert quality, on-call load, and the
reports of :mod:`tocsin.metrics.registry` (postmortems, action items), one route each.

Every report takes a period (``from``, ``to``: detected, opened, triggered or
sent in it; either may be left out) and the filters ``severity``
(repeatable), ``service``, ``team`` and ``source``
(:mod:`tocsin.metrics.filters` says what each means per report). Drills never
count. Anyone signed in may read them. A bad filter or period is a 422 naming
the field; an unknown name lists the ones that exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from tocsin.auth.deps import Viewer
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import Instant
from tocsin.http.runtime import RuntimeDep
from tocsin.metrics import alert_quality, filters, frequency, oncall_load, response
from tocsin.metrics.registry import REPORTS
from tocsin.metrics.reports import Report
from tocsin.metrics.schemas import AlertsOut, FrequencyOut, OncallOut, ResponseOut

router = APIRouter(prefix="/api/v1/metrics", route_class=CheckedRoute, tags=["metrics"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    422: {"description": "A filter or the period is invalid; the detail names it"},
}


def asked(
    start: Annotated[
        Instant | None, Query(alias="from", description="Start of the period (ISO 8601, inclusive)")
    ] = None,
    end: Annotated[
        Instant | None, Query(alias="to", description="End of the period (exclusive), after from")
    ] = None,
    severity: Annotated[list[str], Query(description="Any of these severities (repeatable)")] = [],  # noqa: B006 (FastAPI copies query defaults)
    service: Annotated[str | None, Query(max_length=200, description="Only this service")] = None,
    team: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only this team's: the services it owns (action items: the item's team)",
        ),
    ] = None,
    source: Annotated[str | None, Query(max_length=40, description="Only this source")] = None,
) -> filters.Asked:
    return filters.Asked(
        start=start, end=end, severity=severity, service=service, team=team, source=source
    )


Question = Annotated[filters.Asked, Depends(asked)]
Zone = Annotated[str, Query(max_length=64, description="IANA time zone the weeks are counted in")]


@router.get(
    "/response",
    response_model=ResponseOut,
    summary="MTTD, MTTA and MTTR: mean, median and 90th percentile, with counts",
    description="Over the incidents detected in the period. severity: configured levels; "
    "source: manual, user_report or alert. MTTD counts only incidents whose impact start "
    "was recorded.",
    responses=ERRORS,
)
def response_times(_: Viewer, tocsin: RuntimeDep, question: Question) -> ResponseOut:
    with tocsin.database.sessions() as session:
        found = response.response(session, filters.for_incidents(session, question))
    return ResponseOut.of(question, found)


@router.get(
    "/frequency",
    response_model=FrequencyOut,
    summary="Incidents per ISO week, by severity and by service",
    description="Weeks start on Monday 00:00 in zone (UTC by default); weeks without "
    "incidents are included. severity and source as for /response.",
    responses=ERRORS,
)
def incident_frequency(
    _: Viewer,
    tocsin: RuntimeDep,
    question: Question,
    zone: Zone = "UTC",
) -> FrequencyOut:
    question = replace(question, zone=zone)
    with tocsin.database.sessions() as session:
        checked = filters.for_incidents(session, question)
        found = frequency.frequency(session, checked, tocsin.clock.now())
    return FrequencyOut.of(question, found)


@router.get(
    "/alerts",
    response_model=AlertsOut,
    summary="Alert accuracy per rule (noisiest first), flapping and auto-resolved per service",
    description="severity: the alerts' (critical, error, warning, info); source: the "
    "integration type that sent them (alertmanager, grafana, pagerduty, opsgenie, webhook, "
    "email, heartbeat, user_report).",
    responses=ERRORS,
)
def alert_accuracy(
    _: Viewer,
    tocsin: RuntimeDep,
    question: Question,
    limit: Annotated[int, Query(ge=1, le=1000, description="Rules listed, noisiest first")] = 50,
) -> AlertsOut:
    with tocsin.database.sessions() as session:
        checked = filters.for_alerts(session, question)
        found = alert_quality.alert_quality(session, checked, limit=limit)
    return AlertsOut.of(question, found)


@router.get(
    "/oncall",
    response_model=OncallOut,
    summary="Pages per person and how many came after hours",
    description="After hours: outside 08:00-18:00, Monday to Friday, in the person's time "
    "zone. service and team: the escalated service; severity and source: those of the "
    "incident the page was for.",
    responses=ERRORS,
)
def oncall(_: Viewer, tocsin: RuntimeDep, question: Question) -> OncallOut:
    with tocsin.database.sessions() as session:
        people = oncall_load.oncall_load(session, filters.for_pages(session, question))
    return OncallOut.of(question, people)


def _registered(report: Report[Any]) -> None:
    """``GET /api/v1/metrics/<name>``: the report's answer to the question, in ``zone``."""

    def answered(_: Viewer, tocsin: RuntimeDep, question: Question, zone: Zone = "UTC") -> Any:
        question = replace(question, zone=zone)
        with tocsin.database.sessions() as session:
            found: BaseModel = report.answer(session, question, tocsin.clock.now())
        return found

    router.add_api_route(
        f"/{report.name}",
        answered,
        methods=["GET"],
        response_model=report.model,
        summary=report.summary,
        description=report.description,
        responses=ERRORS,
        name=f"metrics_{report.name.replace('-', '_')}",
    )


for registered in REPORTS:
    _registered(registered)
