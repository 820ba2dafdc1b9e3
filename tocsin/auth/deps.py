"""Request dependencies: the authenticated caller and role checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from tocsin.auth import accounts
from tocsin.auth.accounts import Principal
from tocsin.auth.roles import Role, allows
from tocsin.auth.secrets import same
from tocsin.domain.refusals import Forbidden
from tocsin.http.runtime import RuntimeDep

SESSION_COOKIE = "tocsin_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def remote_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


def _unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="authentication required: send 'Authorization: Bearer <token>' "
        "or log in to the web console",
        headers={"WWW-Authenticate": "Bearer"},
    )


def authenticate(request: Request, tocsin: RuntimeDep) -> Principal:
    """The caller, from a bearer token or a console session cookie; 401 otherwise."""
    now = tocsin.clock.now()
    header = request.headers.get("authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    principal: Principal | None = None
    with tocsin.database.transaction() as session:
        if header:
            scheme, _, credential = header.partition(" ")
            if scheme.lower() == "bearer" and credential.strip():
                principal = accounts.principal_for_token(session, credential.strip(), now=now)
        elif cookie:
            principal = accounts.principal_for_session(session, cookie, now=now)
    if principal is None:
        raise _unauthorized()
    if principal.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not (principal.csrf_token and sent and same(sent, principal.csrf_token)):
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header")
    return principal


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that admits callers whose role is at least ``role``."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not allows(principal.role, role):
            raise Forbidden(f"this action needs the {role} role")
        return principal

    return check


Viewer = Annotated[Principal, Depends(require("viewer"))]
Responder = Annotated[Principal, Depends(require("responder"))]
Admin = Annotated[Principal, Depends(require("admin"))]


def now(tocsin: RuntimeDep) -> datetime:
    return tocsin.clock.now()
