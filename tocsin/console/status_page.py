"""The console's status page area: component statuses, Tocsin's proposals, public incidents.

``/status-page`` shows each component's public status beside what the open
incidents propose (with the reason and the incidents), a one-click
"Confirm" per proposal and a form to set any status; below, the public
incidents and maintenance, active first, each linking to its own page
(:mod:`tocsin.console.status_stories`). The part with the statuses and lists
is re-fetched whenever a status, a proposal or a public incident changes
(:data:`TOPIC`). Publishing an incident and scheduling a maintenance are
:mod:`tocsin.console.status_publish`. The public page itself is ``/status``
(:mod:`tocsin.statuspage.public_routes`). Every change calls the function the
management API's route calls.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse

from tocsin.config.organisation import SERVICE
from tocsin.config.tables import Definition
from tocsin.console import live, status_publish, status_stories
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.status_fields import SHARED, actor
from tocsin.console.viewer import Responding, SignedIn, Viewer
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents.tables import Incident
from tocsin.statuspage import components as component_states
from tocsin.statuspage import publishing
from tocsin.statuspage.config_schema import STATUS_PAGE, STATUS_PAGE_COMPONENT
from tocsin.statuspage.tables import ComponentStatusChange, PublicIncident, PublicUpdate

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

#: Finished public incidents and maintenance the overview lists, newest first.
RECENT = 20
#: Unfinished ones it lists at most (there are a few at a time).
UNFINISHED = 100


def _version(session: Session) -> Hashable:
    """What changes when a status, a proposal or a public incident does."""
    open_incidents = tuple(
        tuple(row)
        for row in session.execute(
            select(Incident.id, Incident.severity, Incident.updated_at)
            .where(Incident.status.in_([value.value for value in OPEN_STATUSES]))
            .order_by(Incident.id)
        )
    )
    definitions = session.execute(
        select(func.max(Definition.updated_at), func.count()).where(
            Definition.kind.in_((STATUS_PAGE, STATUS_PAGE_COMPONENT, SERVICE))
        )
    ).one()
    return (
        open_incidents,
        tuple(definitions),
        session.scalar(select(func.max(ComponentStatusChange.id))),
        session.scalar(select(func.max(PublicUpdate.id))),
        session.scalar(select(func.max(PublicIncident.id))),
    )


TOPIC = live.Topic("status-page", _version)


def _order(row: PublicIncident) -> tuple[int, float]:
    """Active incidents, then maintenance under way, then upcoming maintenance (soonest first)."""
    if row.kind == publishing.Kind.INCIDENT:
        return (0, -row.started_at.timestamp())
    if row.status != "scheduled":
        return (1, -row.started_at.timestamp())
    return (2, (row.scheduled_for or row.started_at).timestamp())


def stories(session: Session) -> tuple[list[PublicIncident], list[PublicIncident]]:
    """The unfinished public incidents and maintenance (active first), and recent finished ones."""
    unfinished = list(
        session.scalars(
            select(PublicIncident)
            .where(PublicIncident.status.not_in(publishing.FINISHED))
            .order_by(PublicIncident.started_at.desc(), PublicIncident.id.desc())
            .limit(UNFINISHED)
        )
    )
    finished = list(
        session.scalars(
            select(PublicIncident)
            .where(PublicIncident.status.in_(publishing.FINISHED))
            .order_by(PublicIncident.started_at.desc(), PublicIncident.id.desc())
            .limit(RECENT)
        )
    )
    return sorted(unfinished, key=_order), finished


def _overview(session: Session) -> dict[str, Any]:
    unfinished, finished = stories(session)
    return {
        **SHARED,
        "components": component_states.listing(session),
        "unfinished": unfinished,
        "finished": finished,
    }


def _page(request: Request, viewer: Viewer, template: str, context: dict[str, Any]) -> Response:
    return page(request, template, viewer, context)


@router.get("/status-page", response_class=HTMLResponse)
def overview(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        context = _overview(session)
    context["now"] = tocsin.clock.now()
    return _page(request, viewer, "status/index.html", context)


@router.get("/status-page/state", response_class=HTMLResponse)
def overview_state(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    """The live part alone, fetched when a status, a proposal or a public incident changes."""
    with tocsin.database.sessions() as session:
        context = _overview(session)
    context["now"] = tocsin.clock.now()
    return _page(request, viewer, "status/_state.html", context)


@router.get("/status-page/live")
def overview_live(request: Request, _: SignedIn) -> EventSourceResponse:
    return live.stream(request, TOPIC, "changed")


@router.post("/status-page/components")
def set_component(
    viewer: Responding,
    tocsin: RuntimeDep,
    component: Annotated[str, Form(min_length=1, max_length=200)],
    status_: Annotated[str, Form(alias="status", max_length=30)] = "",
) -> Response:
    """Set a component's public status: a proposal confirmed, or any status chosen."""
    chosen = component_states.parse_status("status", status_)
    with tocsin.database.transaction() as session:
        publishing.set_component(session, component, chosen, actor(viewer), tocsin.clock.now())
    return RedirectResponse("/status-page#components", status_code=status.HTTP_303_SEE_OTHER)


router.include_router(status_stories.router)
router.include_router(status_publish.router)
