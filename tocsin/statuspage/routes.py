"""The status page's management API: component statuses, publishing, updates, maintenance.

Reading needs a viewer; writing a responder (publishing and updating an
incident: its Incident Commander, Communications Lead or an admin, once
either role is held). Public readers use :mod:`tocsin.statuspage.public_routes`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import Principal
from tocsin.auth.deps import Responder, Viewer, remote_addr
from tocsin.domain.refusals import Invalid
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import records
from tocsin.incidents.editing import Actor
from tocsin.incidents.schemas import ErrorOut, ValidationErrorOut
from tocsin.statuspage import cadence, publishing
from tocsin.statuspage import components as component_states
from tocsin.statuspage.publishing import Impact, UpdateDraft
from tocsin.statuspage.schemas import (
    BackfillIn,
    ComponentOut,
    ComponentStatusIn,
    MaintenanceIn,
    ProposalOut,
    PublicIncidentOut,
    PublishIn,
    UpdateIn,
    UpdateOut,
)
from tocsin.statuspage.tables import PublicIncident


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


READ_ERRORS: dict[int | str, dict[str, Any]] = {401: _error("Not authenticated")}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    403: _error("The caller's role does not allow this, or they do not speak for the incident"),
    404: _error("No such incident, public incident or component"),
    409: _error("The change contradicts the current state; nothing was changed"),
    422: {"model": ValidationErrorOut, "description": "A field is invalid; it is named"},
}
router = APIRouter(
    prefix="/api/v1",
    route_class=CheckedRoute,
    tags=["status page"],
    responses=READ_ERRORS,
)

Code = Annotated[str, Path(description="The public incident's id", max_length=16)]
ComponentPath = Annotated[str, Path(description="The component's name", max_length=200)]
Reference = Annotated[str, Path(description="INC-42 or 42", max_length=30)]


def actor(principal: Principal, request: Request) -> Actor:
    return Actor(principal.name, principal.role == "admin", remote_addr(request))


def draft(body: UpdateIn) -> UpdateDraft:
    return UpdateDraft(
        status=body.status,
        body=body.body,
        components=dict(body.components),
        notify=body.notify,
        display_at=body.display_at,
        impact=Impact(body.impact) if body.impact else None,
    )


def component_out(component: component_states.Component) -> ComponentOut:
    proposal = component.proposal
    return ComponentOut(
        name=component.name,
        group=component.group,
        description=component.description,
        position=component.position,
        only_show_if_degraded=component.only_show_if_degraded,
        status=component.status,
        changed_at=component.changed_at,
        proposal=ProposalOut(
            status=proposal.status,
            because=proposal.because,
            incidents=[f"INC-{number}" for number in proposal.incident_ids],
        )
        if proposal
        else None,
    )


def public_out(session: Session, public: PublicIncident, now: datetime) -> PublicIncidentOut:
    updates = publishing.updates(session, [public.id])[public.id]
    late = cadence.overdue(session, public, now)
    return PublicIncidentOut(
        id=public.code,
        kind="maintenance" if public.kind == "maintenance" else "incident",
        incident=f"INC-{public.incident_id}" if public.incident_id else None,
        name=public.name,
        status=public.status,
        impact=public.impact,
        components=[str(name) for name in public.components],
        backfilled=public.backfilled,
        started_at=public.started_at,
        resolved_at=public.resolved_at,
        scheduled_for=public.scheduled_for,
        scheduled_until=public.scheduled_until,
        last_update_at=public.last_update_at,
        next_update_due=cadence.next_update_due(session, public),
        overdue_seconds=int(late.total_seconds()) if late is not None else None,
        url=f"/status/incidents/{public.code}",
        updates=[
            UpdateOut(
                id=update.code,
                status=update.status,
                body=update.body,
                created_at=update.created_at,
                display_at=update.display_at,
                affected_components=list(update.affected_components),
                notify=update.notify,
            )
            for update in updates
        ],
    )


@router.get("/status-page/components", summary="Components, their statuses and proposals")
def list_components(_: Viewer, tocsin: RuntimeDep) -> list[ComponentOut]:
    with tocsin.database.sessions() as session:
        return [component_out(component) for component in component_states.listing(session)]


@router.put(
    "/status-page/components/{name}",
    summary="Set (or confirm the proposed) public status of a component",
    responses=WRITE_ERRORS,
)
def set_component(
    name: ComponentPath,
    body: ComponentStatusIn,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> ComponentOut:
    with tocsin.database.transaction() as session:
        publishing.set_component(
            session, name, body.status, actor(principal, request), tocsin.clock.now()
        )
    with tocsin.database.sessions() as session:
        return next(
            c for c in map(component_out, component_states.listing(session)) if c.name == name
        )


@router.get("/status-page/incidents", summary="Public incidents and maintenance, newest first")
def list_public(_: Viewer, tocsin: RuntimeDep) -> list[PublicIncidentOut]:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        rows = session.scalars(
            select(PublicIncident).order_by(PublicIncident.started_at.desc()).limit(100)
        )
        return [public_out(session, row, now) for row in rows]


@router.get("/status-page/incidents/{code}", summary="A public incident or maintenance")
def show_public(code: Code, _: Viewer, tocsin: RuntimeDep) -> PublicIncidentOut:
    with tocsin.database.sessions() as session:
        return public_out(session, publishing.find(session, code), tocsin.clock.now())


@router.post(
    "/incidents/{reference}/publish",
    status_code=201,
    summary="Publish an incident on the status page with its first update",
    responses=WRITE_ERRORS,
)
def publish(
    reference: Reference,
    body: PublishIn,
    principal: Responder,
    tocsin: RuntimeDep,
    request: Request,
) -> PublicIncidentOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        public, _ = publishing.publish(
            session,
            incident,
            name=body.name,
            draft=draft(body),
            actor=actor(principal, request),
            now=tocsin.clock.now(),
        )
        return public_out(session, public, tocsin.clock.now())


@router.post(
    "/status-page/incidents/{code}/updates",
    status_code=201,
    summary="Post an update on a public incident or maintenance",
    responses=WRITE_ERRORS,
)
def post_update(
    code: Code, body: UpdateIn, principal: Responder, tocsin: RuntimeDep, request: Request
) -> PublicIncidentOut:
    with tocsin.database.transaction() as session:
        public = publishing.find(session, code, lock=True)
        publishing.post_update(
            session, public, draft(body), actor(principal, request), tocsin.clock.now()
        )
        return public_out(session, public, tocsin.clock.now())


@router.post(
    "/status-page/incidents",
    status_code=201,
    summary="Post a public incident after the fact (backfill)",
    responses=WRITE_ERRORS,
)
def backfill(
    body: BackfillIn, principal: Responder, tocsin: RuntimeDep, request: Request
) -> PublicIncidentOut:
    with tocsin.database.transaction() as session:
        incident = records.find(session, body.incident, lock=True) if body.incident else None
        public = publishing.backfill(
            session,
            name=body.name,
            impact=Impact(body.impact),
            started_at=body.started_at,
            drafts=[draft(update) for update in body.updates],
            actor=actor(principal, request),
            now=tocsin.clock.now(),
            incident=incident,
        )
        return public_out(session, public, tocsin.clock.now())


@router.post(
    "/status-page/maintenances",
    status_code=201,
    summary="Schedule a maintenance",
    responses=WRITE_ERRORS,
)
def schedule(
    body: MaintenanceIn, principal: Responder, tocsin: RuntimeDep, request: Request
) -> PublicIncidentOut:
    if len(set(body.components)) != len(body.components):
        raise Invalid("components", "names a component twice")
    with tocsin.database.transaction() as session:
        public = publishing.schedule_maintenance(
            session,
            name=body.name,
            body=body.body,
            components=body.components,
            scheduled_for=body.scheduled_for,
            scheduled_until=body.scheduled_until,
            auto_transition=body.auto_transition,
            notify=body.notify,
            actor=actor(principal, request),
            now=tocsin.clock.now(),
        )
        return public_out(session, public, tocsin.clock.now())
