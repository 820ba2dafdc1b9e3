"""The public status page: the configured components and their state."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from tocsin.statuspage.config_schema import STATUS_PAGE_COMPONENT
from tocsin.config.tables import Definition
from tocsin.http.runtime import RuntimeDep

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        components = list(
            session.scalars(
                select(Definition)
                .where(Definition.kind == STATUS_PAGE_COMPONENT)
                .order_by(Definition.position, Definition.name)
            )
        )
    return templates.TemplateResponse(
        request, "status.html", {"components": components, "csrf_token": None}
    )
