"""The audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from tocsin.admin.schemas import AuditOut
from tocsin.auth.deps import Admin
from tocsin.db import keyset
from tocsin.db.audit import AuditEntry
from tocsin.http.checked import CheckedRoute
from tocsin.http.listing import link_next
from tocsin.http.params import Cursor, LenientInstant, Offset
from tocsin.http.runtime import RuntimeDep
from tocsin.kernel.clock import utc

router = APIRouter(prefix="/api/v1/audit", route_class=CheckedRoute, tags=["audit"])

#: Newest first; the actor and object type filters have indexes ending with the id.
ORDER = keyset.Order((AuditEntry.id.expression,))


@router.get(
    "",
    response_model=list[AuditOut],
    summary="Who changed what, newest first",
    description='A JSON array; when there are more entries, the Link header (rel="next") '
    "and X-Next-Cursor give the next page: send the cursor back as cursor. offset still "
    "works but costs what it skips. actor, object_type and since are indexed.",
    responses={422: {"description": "A filter or the cursor is invalid"}},
)
def list_audit(
    _: Admin,
    tocsin: RuntimeDep,
    request: Request,
    response: Response,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(max_length=50)] = None,
    since: Annotated[LenientInstant | None, Query(description="At or after")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
    offset: Offset = 0,
) -> list[AuditEntry]:
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if since:
        query = query.where(AuditEntry.at >= utc(since))
    with tocsin.database.sessions() as session:
        found = keyset.page(
            session,
            query,
            ORDER,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )
        link_next(request, response, found.next_cursor)
        return found.rows
