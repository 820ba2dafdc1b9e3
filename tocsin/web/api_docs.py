"""The interactive API documentation at ``/docs``, served entirely by Tocsin.

Swagger UI comes from a pinned Python package (``swagger-ui-bundle-v2``) and is
served under ``/docs/assets``; the page starts it with a static script
(``/static/swagger-init.js``), not an inline one, and loads nothing from
elsewhere, so it works without internet access and under a strict
Content-Security-Policy.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

#: Where the package keeps Swagger UI's distribution files.
SWAGGER_UI = Path(str(swagger_ui_bundle.swagger_ui_path))
ASSETS = "/docs/assets"

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over this server's OpenAPI document."""
    return templates.TemplateResponse(
        request, "api-docs.html", {"assets": ASSETS, "openapi_url": request.app.openapi_url}
    )


def mount_assets(app: FastAPI) -> None:
    """Serve Swagger UI's files under :data:`ASSETS`."""
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
