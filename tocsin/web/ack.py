"""The public acknowledge page: ``/ack/{token}`` from a message, no login needed.

GET shows what the page is about with an Acknowledge button; only POST
acknowledges. Link previewers and mail scanners fetch links with GET, and
must not acknowledge a page nobody has read.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from tocsin.http.runtime import RuntimeDep
from tocsin.paging.acks import AckLinkRefused, find_token, redeem
from tocsin.paging.tables import EscalationRun, Page

templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/ack/{token}", response_class=HTMLResponse)
def ack_form(request: Request, token: Token, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        try:
            found = find_token(session, token, tocsin.clock.now())
        except AckLinkRefused as error:
            return templates.TemplateResponse(
                request, "ack.html", {"error": str(error), "page": None}, status_code=404
            )
        page = session.get(Page, found.page_id)
        run = session.get(EscalationRun, page.run_id) if page else None
        return templates.TemplateResponse(request, "ack.html", {"page": page, "run": run})


@router.post("/ack/{token}", response_class=HTMLResponse)
def ack(request: Request, token: Token, tocsin: RuntimeDep) -> Response:
    try:
        with tocsin.database.transaction() as session:
            page, run, acknowledged = redeem(session, token, tocsin.clock.now())
            context = {
                "page": page,
                "run": run,
                "done": (
                    "Escalation stopped: nobody else will be paged for this."
                    if acknowledged
                    else f"Nothing to do: the escalation was already {run.state}."
                ),
            }
    except AckLinkRefused as error:
        return templates.TemplateResponse(
            request, "ack.html", {"error": str(error), "page": None}, status_code=404
        )
    return templates.TemplateResponse(request, "ack.html", context)
