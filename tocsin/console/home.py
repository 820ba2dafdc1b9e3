"""The home page: what needs the signed-in person now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import SignedIn
from tocsin.engine import jobs
from tocsin.http.runtime import RuntimeDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        counts = jobs.count_by_state(session)
    return page(request, "home.html", viewer, {"job_counts": counts})
