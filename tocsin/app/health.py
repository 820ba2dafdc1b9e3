"""Liveness and readiness probes (no authentication), and 503 for a database that fails."""

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

#: Seconds a client is asked to wait before retrying when the database failed.
RETRY_AFTER_SECONDS = 5


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


def database_unavailable(_request: Request, _error: Exception) -> JSONResponse:
    """A request whose transaction the database refused or cancelled (a full or
    read-only disk, a restart, the statement timeout): nothing was stored, and
    the same request may well succeed in a moment."""
    return JSONResponse(
        {"detail": "The database is unavailable; nothing was stored. Retry later."},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
