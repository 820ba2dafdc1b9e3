"""The console's admin pages: users and roles, API tokens, integrations, dead jobs, the audit log.

Admins only: every page and form here takes ``AdministeringPage`` or
``Administering``. A secret (a token, an integration key) is shown once, on the
answer that made it, and never in a list. Objects a configuration file manages
are shown read-only with the file named.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from tocsin.admin import job_routes, token_routes, user_routes
from tocsin.admin.schemas import UserCreate
from tocsin.alerts import integrations, send_to
from tocsin.alerts.runtime import AlertsRuntimeDep
from tocsin.auth import accounts
from tocsin.auth.roles import ROLES
from tocsin.auth.tables import ApiToken, User
from tocsin.config import known_names
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.viewer import Administering, AdministeringPage, Viewer
from tocsin.db import keyset
from tocsin.db.audit import AuditEntry
from tocsin.domain.refusals import NotFound, Refusal
from tocsin.engine import jobs
from tocsin.http.runtime import Runtime, RuntimeDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: Rows per page of the dead jobs and the audit log.
PAGE_SIZE = 50
AUDIT_ORDER = keyset.Order((AuditEntry.id.expression,))


def _done(path: str) -> Response:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


# --- users ------------------------------------------------------------------------------


def _users_page(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    *,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with tocsin.database.sessions() as session:
        users = list(session.scalars(select(User).order_by(User.name)))
    return page(
        request,
        "admin/users.html",
        viewer,
        {"users": users, "roles": ROLES, "errors": errors or [], "values": values or {}},
        status_code=status_code,
    )


@router.get("/admin", response_class=HTMLResponse)
def users(request: Request, viewer: AdministeringPage, tocsin: RuntimeDep) -> Response:
    return _users_page(request, viewer, tocsin)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    viewer: Administering,
    tocsin: RuntimeDep,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=20)] = "responder",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    values = {"name": name, "email": email, "role": role}
    try:
        body = UserCreate(name=name, email=email or None, role=role, password=password or None)
        with tocsin.database.transaction() as session:
            accounts.create_user(
                session,
                now=tocsin.clock.now(),
                actor=viewer.name,
                name=body.name,
                email=body.email,
                role=body.role,
                full_name=body.full_name,
                time_zone=body.time_zone,
                password=body.password,
            )
    except (ValidationError, Refusal) as refused:
        code, errors = explained(refused)
        return _users_page(request, viewer, tocsin, errors=errors, values=values, status_code=code)
    return _done("/admin#users-title")


@router.post("/admin/users/{name}/role")
def change_role(
    viewer: Administering,
    tocsin: RuntimeDep,
    name: Annotated[str, Path(max_length=200)],
    role: Annotated[str, Form(pattern="^(viewer|responder|admin)$")],
) -> Response:
    with tocsin.database.transaction() as session:
        user_routes.change_user(
            session,
            name,
            {"role": role},
            actor=viewer.name,
            now=tocsin.clock.now(),
            remote_addr=None,
        )
    return _done("/admin#users-title")


# --- tokens -----------------------------------------------------------------------------


def _tokens_page(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    *,
    created: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with tocsin.database.sessions() as session:
        tokens = session.execute(
            select(ApiToken, User.name)
            .join(User, User.id == ApiToken.user_id)
            .order_by(ApiToken.id.desc())
        ).all()
        people = known_names.users(session)
    return page(
        request,
        "admin/tokens.html",
        viewer,
        {"tokens": tokens, "people": people, "created": created},
        status_code=status_code,
    )


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens(request: Request, viewer: AdministeringPage, tocsin: RuntimeDep) -> Response:
    return _tokens_page(request, viewer, tocsin)


@router.post("/admin/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    viewer: Administering,
    tocsin: RuntimeDep,
    user: Annotated[str, Form(min_length=1, max_length=100)],
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A new token, shown on this answer only."""
    with tocsin.database.transaction() as session:
        owner = accounts.find_user(session, user)
        if owner is None:
            raise NotFound(known_names.unknown_user(session, user))
        _, plain = accounts.create_token(
            session, owner, now=tocsin.clock.now(), actor=viewer.name, name=name
        )
    return _tokens_page(
        request, viewer, tocsin, created=(user, plain), status_code=status.HTTP_201_CREATED
    )


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(viewer: Administering, tocsin: RuntimeDep, token_id: Id) -> Response:
    with tocsin.database.transaction() as session:
        token_routes.revoke(
            session, token_id, viewer.principal, now=tocsin.clock.now(), remote_addr=None
        )
    return _done("/admin/tokens")


# --- integrations -----------------------------------------------------------------------

#: How the sending tool is told where to send, by integration type: a copyable snippet.
SNIPPETS = {
    "alertmanager": "receivers:\n  - name: tocsin\n    webhook_configs:\n"
    "      - url: {endpoint}\n        send_resolved: true\n",
    "grafana": "Contact point > Webhook > URL: {endpoint}\n(HTTP method POST)",
    "webhook": "curl -X POST {endpoint} \\\n  -H 'Content-Type: application/json' \\\n"
    '  -d \'{{"summary": "Disk full on db-1", "severity": "critical"}}\'',
    "heartbeat": "curl -fsS -X POST {endpoint}",
    "pagerduty": "Any PagerDuty Events API v2 client: send to {base}/v2/enqueue\n"
    "with routing_key = {key}",
    "opsgenie": "Any Opsgenie Alert API client: API URL {base}\n"
    "with the header Authorization: GenieKey {key}",
    "email": "Send or forward alert mail to {endpoint}",
}


def _integrations_page(
    request: Request,
    viewer: Viewer,
    tocsin: Any,
    *,
    new_key: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    base = send_to.base_url(request, tocsin)
    rows = []
    with tocsin.database.sessions() as session:
        for listed in integrations.listing(session):
            kind = listed.config.type
            key = new_key[1] if new_key and new_key[0] == listed.definition.name else "{key}"
            where = send_to.endpoint(request, tocsin, kind, key)
            snippet = SNIPPETS.get(kind, "{endpoint}").format(endpoint=where, base=base, key=key)
            rows.append((listed, where, snippet))
    return page(
        request,
        "admin/integrations.html",
        viewer,
        {"rows": rows, "new_key": new_key},
        status_code=status_code,
    )


@router.get("/admin/integrations", response_class=HTMLResponse)
def integration_list(
    request: Request, viewer: AdministeringPage, tocsin: AlertsRuntimeDep
) -> Response:
    return _integrations_page(request, viewer, tocsin)


@router.post("/admin/integrations/{name}/rotate", response_class=HTMLResponse)
def rotate_key(
    request: Request,
    viewer: Administering,
    tocsin: AlertsRuntimeDep,
    name: Annotated[str, Path(max_length=200)],
) -> Response:
    """Revoke an integration's keys and make a new one, shown on this answer only."""
    with tocsin.database.transaction() as session:
        key = integrations.rotate(session, name, actor=viewer.name, now=tocsin.clock.now())
    return _integrations_page(
        request, viewer, tocsin, new_key=(name, key), status_code=status.HTTP_201_CREATED
    )


# --- jobs and the audit log -------------------------------------------------------------


@router.get("/admin/jobs", response_class=HTMLResponse)
def dead_jobs(
    request: Request,
    viewer: AdministeringPage,
    tocsin: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    with tocsin.database.sessions() as session:
        found = jobs.list_jobs(session, state="dead", kind=None, limit=PAGE_SIZE, cursor=cursor)
        counts = jobs.count_by_state(session)
    return page(
        request,
        "admin/jobs.html",
        viewer,
        {"jobs": found.rows, "next_cursor": found.next_cursor, "counts": counts},
    )


@router.post("/admin/jobs/{job_id}/retry")
def retry_job(viewer: Administering, tocsin: RuntimeDep, job_id: Id) -> Response:
    with tocsin.database.transaction() as session:
        job_routes.retry_job(
            session, job_id, actor=viewer.name, now=tocsin.clock.now(), remote_addr=None
        )
    return _done("/admin/jobs")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    viewer: AdministeringPage,
    tocsin: RuntimeDep,
    actor: Annotated[str, Query(max_length=100)] = "",
    object_type: Annotated[str, Query(max_length=50)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    with tocsin.database.sessions() as session:
        found = keyset.page(session, query, AUDIT_ORDER, limit=PAGE_SIZE, cursor=cursor)
    return page(
        request,
        "admin/audit.html",
        viewer,
        {
            "entries": found.rows,
            "next_cursor": found.next_cursor,
            "actor": actor,
            "object_type": object_type,
        },
    )
