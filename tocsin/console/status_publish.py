"""Telling the public something new: publishing an incident, scheduling a maintenance.

The publish form is reached from the incident's page; its component statuses
start as Tocsin's proposals for the components of the incident's services,
and its impact as the incident's severity suggests. A published incident's
form sends to its page on the status page instead. A maintenance's times are
typed in the viewer's zone. A refused form comes back with what was typed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tocsin.console.fields import local_instant
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.status_fields import SHARED, UpdateFields, actor, rows
from tocsin.console.status_stories import path
from tocsin.console.viewer import Responding, RespondingPage, Viewer
from tocsin.domain.refusals import Refusal
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import outputs, records
from tocsin.incidents.tables import Incident
from tocsin.statuspage import components as component_states
from tocsin.statuspage import publishing
from tocsin.statuspage.routes import draft
from tocsin.statuspage.schemas import MaintenanceIn, PublishIn

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Reference = Annotated[str, Path(max_length=30)]
#: A new maintenance form starts a day ahead, for two hours.
MAINTENANCE_AHEAD = timedelta(days=1)
MAINTENANCE_LENGTH = timedelta(hours=2)
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def proposed(session: Session, incident: Incident) -> dict[str, str]:
    """Tocsin's proposals for the components this incident's services name."""
    settings = component_states.settings(session)
    return {
        name: proposal.status.value
        for name, proposal in component_states.proposals(session, settings).items()
        if incident.id in proposal.incident_ids
    }


def _publish_form(
    request: Request,
    viewer: Viewer,
    session: Session,
    incident: Incident,
    values: dict[str, Any],
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    listed = component_states.listing(session, with_proposals=False)
    context = {
        **SHARED,
        "incident": outputs.incident_out(session, incident),
        "statuses": publishing.INCIDENT_STATUSES[:-1],
        "components": rows(listed, values["components"]),
        "values": values,
        "errors": errors or [],
    }
    return page(request, "status/publish.html", viewer, context, status_code=status_code)


@router.get("/incidents/{reference}/publish", response_class=HTMLResponse)
def publish_form(
    request: Request, viewer: RespondingPage, tocsin: RuntimeDep, reference: Reference
) -> Response:
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        public = publishing.for_incident(session, incident.id)
        if public is not None:
            return RedirectResponse(path(public.code), status_code=status.HTTP_303_SEE_OTHER)
        values = {
            "name": "",
            "impact": publishing.default_impact(session, incident).value,
            "status": "investigating",
            "body": "",
            "notify": True,
            "components": proposed(session, incident),
        }
        return _publish_form(request, viewer, session, incident, values)


@router.post("/incidents/{reference}/publish", response_class=HTMLResponse)
def publish(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    form: UpdateFields,
    name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Publish the incident with its first update, then show it as the status page has it."""
    values = {"name": name, **form.values()}
    try:
        published = PublishIn.model_validate(
            {"name": name, **form.payload(), "status": form.status or "investigating"}
        )
        with tocsin.database.transaction() as session:
            incident = records.find(session, reference, lock=True)
            public, _ = publishing.publish(
                session,
                incident,
                name=published.name,
                draft=draft(published),
                actor=actor(viewer),
                now=tocsin.clock.now(),
            )
            code = public.code
    except (ValidationError, Refusal) as refused:
        status_code, errors = explained(refused)
    else:
        return RedirectResponse(path(code), status_code=status.HTTP_303_SEE_OTHER)
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        return _publish_form(
            request, viewer, session, incident, values, errors=errors, status_code=status_code
        )


def _maintenance_form(
    request: Request,
    viewer: Viewer,
    session: Session,
    values: dict[str, Any],
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        **SHARED,
        "components": component_states.listing(session, with_proposals=False),
        "values": values,
        "errors": errors or [],
    }
    return page(request, "status/maintenance.html", viewer, context, status_code=status_code)


@router.get("/status-page/maintenance/new", response_class=HTMLResponse)
def maintenance_form(request: Request, viewer: RespondingPage, tocsin: RuntimeDep) -> Response:
    start = tocsin.clock.now().astimezone(viewer.zone).replace(second=0, microsecond=0)
    start += MAINTENANCE_AHEAD
    values = {
        "name": "",
        "body": "",
        "components": [],
        "starts": start.strftime(LOCAL_MINUTE),
        "ends": (start + MAINTENANCE_LENGTH).strftime(LOCAL_MINUTE),
        "auto_transition": True,
        "notify": True,
    }
    with tocsin.database.sessions() as session:
        return _maintenance_form(request, viewer, session, values)


@router.post("/status-page/maintenance/new", response_class=HTMLResponse)
def schedule(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    name: Annotated[str, Form(max_length=1000)] = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
    components: Annotated[list[str], Form()] = [],  # noqa: B006
    starts: Annotated[str, Form(max_length=40)] = "",
    ends: Annotated[str, Form(max_length=40)] = "",
    auto_transition: Annotated[bool, Form()] = False,
    notify: Annotated[bool, Form()] = False,
) -> Response:
    """Announce a maintenance, then show its page."""
    values: dict[str, Any] = {
        "name": name,
        "body": body,
        "components": components,
        "starts": starts,
        "ends": ends,
        "auto_transition": auto_transition,
        "notify": notify,
    }
    try:
        form = MaintenanceIn.model_validate(
            {
                "name": name,
                "body": body,
                "components": components,
                "scheduled_for": local_instant(starts, viewer, "starts"),
                "scheduled_until": local_instant(ends, viewer, "ends"),
                "auto_transition": auto_transition,
                "notify": notify,
            }
        )
        with tocsin.database.transaction() as session:
            public = publishing.schedule_maintenance(
                session,
                name=form.name,
                body=form.body,
                components=list(dict.fromkeys(form.components)),
                scheduled_for=form.scheduled_for,
                scheduled_until=form.scheduled_until,
                auto_transition=form.auto_transition,
                notify=form.notify,
                actor=actor(viewer),
                now=tocsin.clock.now(),
            )
            code = public.code
    except (ValidationError, Refusal) as refused:
        status_code, errors = explained(refused)
    else:
        return RedirectResponse(path(code), status_code=status.HTTP_303_SEE_OTHER)
    with tocsin.database.sessions() as session:
        return _maintenance_form(
            request, viewer, session, values, errors=errors, status_code=status_code
        )
