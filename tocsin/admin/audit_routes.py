"""The audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from tocsin.admin.schemas import AuditOut
from tocsin.auth.deps import Admin
from tocsin.db.audit import AuditEntry
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import LenientInstant, Offset
from tocsin.http.runtime import RuntimeDep
from tocsin.kernel.clock import utc

router = APIRouter(prefix="/api/v1/audit", route_class=CheckedRoute, tags=["audit"])


@router.get("", response_model=list[AuditOut], summary="Who changed what, newest first")
def list_audit(
    _: Admin,
    tocsin: RuntimeDep,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(max_length=50)] = None,
    since: Annotated[LenientInstant | None, Query(description="At or after")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if since:
        query = query.where(AuditEntry.at >= utc(since))
    with tocsin.database.sessions() as session:
        return list(session.scalars(query))
