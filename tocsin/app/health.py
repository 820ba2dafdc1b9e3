"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from tocsin.app.readiness import readiness
from tocsin.app.service import Tocsin

router = APIRouter(tags=["health"])


async def get_tocsin(request: Request) -> Tocsin:
    """The whole running Tocsin: readiness looks at its engine and heartbeat too."""
    tocsin: Tocsin = request.app.state.tocsin
    return tocsin


TocsinDep = Annotated[Tocsin, Depends(get_tocsin)]


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Ready to serve: database reachable, schema current, engine committing, jobs on time",
    responses={503: {"description": "Not ready; `reasons` says why"}},
)
def readyz(tocsin: TocsinDep) -> JSONResponse:
    found = readiness(tocsin)
    body = {
        "status": "ready" if found.ok else "unavailable",
        "checks": found.checks,
        "reasons": found.reasons,
    }
    return JSONResponse(body, status_code=200 if found.ok else 503)
