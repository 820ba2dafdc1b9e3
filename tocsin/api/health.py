"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from tocsin.api.deps import TocsinDep
from tocsin.store import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Ready to serve: database reachable, schema current, engine running",
    responses={503: {"description": "Not ready; `reasons` says why"}},
)
def readyz(tocsin: TocsinDep) -> JSONResponse:
    reasons: list[str] = []
    checks: dict[str, Any] = {}
    try:
        with tocsin.database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        current = migrate.is_current(tocsin.database.engine)
        checks["migrations"] = "current" if current else "pending"
        if not current:
            reasons.append("database schema is not at the newest migration; run tocsin db upgrade")
    except Exception as exc:
        checks["database"] = "unreachable"
        reasons.append(f"database unreachable: {type(exc).__name__}")
    engine = tocsin.engine
    checks["engine"] = "running" if engine.running else "stopped"
    if not engine.running:
        reasons.append("job engine is not running")
    elif engine.last_cycle is None:
        reasons.append("job engine has not started its first cycle")
    ok = not reasons
    body = {"status": "ready" if ok else "unavailable", "checks": checks, "reasons": reasons}
    return JSONResponse(body, status_code=200 if ok else 503)
