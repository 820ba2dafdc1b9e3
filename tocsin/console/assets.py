"""The console's front-end packages, installed from npm by ``make setup`` and served here.

``package.json`` pins them (``package-lock.json`` holds their checksums) and
``npm ci`` puts them in ``node_modules`` beside the source;
``TOCSIN_ASSETS_DIR`` names another folder holding the same packages. Without
them the console still works: every action is a plain form, and pages reload
instead of updating live. ``missing()`` says what is absent, and ``tocsin serve``
prints it.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

#: The name a page asks for, and the file of an npm package that answers it.
FILES: dict[str, str] = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "sse.min.js": "htmx-ext-sse/dist/sse.min.js",
}

router = APIRouter(include_in_schema=False)


def folder() -> Path:
    configured = os.environ.get("TOCSIN_ASSETS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "node_modules"


def missing() -> list[str]:
    """The asset files that are not installed (empty when ``npm ci`` has run)."""
    base = folder()
    return [relative for relative in FILES.values() if not (base / relative).is_file()]


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    relative = FILES.get(name)
    path = folder() / relative if relative else None
    if path is None or not path.is_file():
        raise HTTPException(404, f"no asset {name!r}; run make setup (npm ci) to install them")
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"}
    )
