"""The console's incident list and the declare form with the classification helper.

The incident page itself is :mod:`tocsin.console.incident_page`, included here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tocsin.config import known_names
from tocsin.config.organisation import SERVICE, TEAM
from tocsin.console import incident_page
from tocsin.console.fields import day, midnight
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.viewer import Responding, RespondingPage, SignedIn, Viewer
from tocsin.domain.lifecycle import Status
from tocsin.domain.refusals import Invalid, Refusal
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import configured, declaring, outputs, records, suggesting
from tocsin.incidents.editing import Actor
from tocsin.incidents.schemas import ClassifyRequest, ClassifyResponse, IncidentCreate

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

#: Incidents per page of the list.
PAGE_SIZE = 50
#: The business functions the classification helper asks about (the seeds' examples).
FUNCTIONS = ("payments", "authentication", "data_loss", "security_breach")
STATUSES = [value.value for value in Status]


def _utc_day(value: str, field: str) -> datetime | None:
    on = day(value, field)
    return None if on is None else midnight(on, UTC)


def _levels(session: Session) -> list[str]:
    return [level.level for level in configured.scale(session)]


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    status_: Annotated[list[str], Query(alias="status")] = [],  # noqa: B006
    severity: Annotated[list[str], Query()] = [],  # noqa: B006
    service: Annotated[str, Query(max_length=200)] = "",
    team: Annotated[str, Query(max_length=200)] = "",
    drill: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    detected_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    detected_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    for value in status_:
        if value not in STATUSES:
            raise Invalid("status", f"unknown status {value!r}", where="query")
    with tocsin.database.sessions() as session:
        levels = _levels(session)
        for value in severity:
            if value not in levels:
                raise Invalid("severity", f"unknown severity {value!r}", where="query")
        filters = records.Filters(
            statuses=status_,
            severities=severity,
            service=service or None,
            any_service=known_names.team_services(session, team) if team else None,
            drill={"yes": True, "no": False}.get(drill),
            detected_from=_utc_day(detected_from, "from"),
            detected_to=_utc_day(detected_to, "to"),
        )
        found, count = records.search(session, filters, limit=PAGE_SIZE, cursor=cursor)
        incidents = outputs.incidents_out(session, found.rows)
        services = known_names.defined(session, SERVICE)
        teams = known_names.defined(session, TEAM)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    return page(
        request,
        "incidents/list.html",
        viewer,
        {
            "now": tocsin.clock.now(),
            "incidents": incidents,
            "count": count,
            "next_cursor": found.next_cursor,
            "kept": kept,
            "statuses": STATUSES,
            "levels": levels,
            "services": services,
            "teams": teams,
            "chosen": {
                "team": team,
                "status": status_,
                "severity": severity,
                "service": service,
                "drill": drill,
                "from": detected_from,
                "to": detected_to,
            },
        },
    )


def _declare_form(
    request: Request,
    viewer: Viewer,
    session: Session,
    values: dict[str, Any],
    *,
    suggestion: ClassifyResponse | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "incidents/declare.html",
        viewer,
        {
            "levels": configured.scale(session),
            "services": known_names.defined(session, SERVICE),
            "functions": FUNCTIONS,
            "values": values,
            "suggestion": suggestion,
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def declare_form(request: Request, viewer: RespondingPage, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        return _declare_form(request, viewer, session, {"certainty": "certain"})


def _share(value: str, field: str) -> float | None:
    """A percentage typed in the form as the share (0 to 1) the classification takes."""
    if not value.strip():
        return None
    try:
        return float(value) / 100
    except ValueError as error:
        raise Invalid(field, "must be a number of percent, 0 to 100") from error


def _classify_request(values: dict[str, Any]) -> ClassifyRequest:
    workaround = {"yes": True, "no": False}.get(values["workaround"])
    return ClassifyRequest(
        users_affected=_share(values["users_affected"], "users_affected") or 0.0,
        revenue_share=_share(values["revenue_share"], "revenue_share"),
        business_functions=values["business_functions"],
        complete_outage=values["complete_outage"],
        workaround=workaround,
        certainty=values["certainty"],
    )


@router.post("/incidents/new", response_class=HTMLResponse)
def declare(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    title: Annotated[str, Form(max_length=1000)] = "",
    severity: Annotated[str, Form(max_length=50)] = "",
    summary: Annotated[str, Form(max_length=20_000)] = "",
    services: Annotated[list[str], Form()] = [],  # noqa: B006
    drill: Annotated[bool, Form()] = False,
    users_affected: Annotated[str, Form(max_length=20)] = "",
    revenue_share: Annotated[str, Form(max_length=20)] = "",
    business_functions: Annotated[list[str], Form()] = [],  # noqa: B006
    complete_outage: Annotated[bool, Form()] = False,
    workaround: Annotated[str, Form(pattern="^(|yes|no)$")] = "",
    certainty: Annotated[str, Form(pattern="^(certain|uncertain)$")] = "certain",
    action: Annotated[str, Form(pattern="^(declare|suggest)$")] = "declare",
) -> Response:
    """Suggest a severity from the impact answers, or declare: the form comes back on error."""
    values: dict[str, Any] = {
        "title": title,
        "severity": severity,
        "summary": summary,
        "services": services,
        "drill": drill,
        "users_affected": users_affected,
        "revenue_share": revenue_share,
        "business_functions": business_functions,
        "complete_outage": complete_outage,
        "workaround": workaround,
        "certainty": certainty,
    }
    try:
        if action == "suggest":
            with tocsin.database.sessions() as session:
                suggestion = suggesting.suggest(session, _classify_request(values))
                values["severity"] = suggestion.level
                return _declare_form(request, viewer, session, values, suggestion=suggestion)
        body = IncidentCreate(
            title=title, severity=severity, summary=summary, services=services, drill=drill
        )
        with tocsin.database.transaction() as session:
            unknown = known_names.undefined_service(session, body.services)
            if unknown is not None:
                raise Invalid("services", unknown[1])
            actor = Actor(name=viewer.name, is_admin=viewer.is_admin, remote_addr=None)
            new = declaring.NewIncident(
                title=body.title,
                severity=body.severity,
                summary=body.summary,
                drill=body.drill,
                services=body.services,
            )
            reference = declaring.declare(session, new, actor, tocsin.clock.now()).reference
    except (ValidationError, Refusal) as refused:
        code, errors = explained(refused)
    else:
        return RedirectResponse(f"/incidents/{reference}", status_code=status.HTTP_303_SEE_OTHER)
    with tocsin.database.sessions() as session:
        return _declare_form(request, viewer, session, values, errors=errors, status_code=code)


# After /incidents/new, which {reference} would otherwise take.
router.include_router(incident_page.router)
