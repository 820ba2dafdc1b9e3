"""The console's services page: what is configured, who answers for it, what is open on it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from tocsin.alerts.tables import AlertGroup
from tocsin.config.organisation import SERVICE
from tocsin.config.tables import Definition
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import SignedIn
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents.tables import Incident, IncidentService

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


@router.get("/services", response_class=HTMLResponse)
def services(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    """Every service with its team, policy, runbooks, and its open alert groups and incidents."""
    with tocsin.database.sessions() as session:
        rows = list(
            session.scalars(
                select(Definition)
                .where(Definition.kind == SERVICE)
                .order_by(Definition.position, Definition.name)
            )
        )
        firing = dict(
            session.execute(
                select(AlertGroup.service, func.count())
                .where(AlertGroup.status == "open")
                .group_by(AlertGroup.service)
            ).all()
        )
        open_incidents = dict(
            session.execute(
                select(IncidentService.name, func.count())
                .join(Incident, Incident.id == IncidentService.incident_id)
                .where(Incident.status.in_([status.value for status in OPEN_STATUSES]))
                .group_by(IncidentService.name)
            ).all()
        )
    return page(
        request,
        "services/index.html",
        viewer,
        {"services": rows, "firing": firing, "open_incidents": open_incidents},
    )
