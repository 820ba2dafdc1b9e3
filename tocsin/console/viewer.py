"""Who is looking at a console page, and the check every console write passes.

A page needs a console session (the cookie set at login); without one the
browser is sent to the login page and back. A write also needs the session's
CSRF token, sent as the form field ``csrf_token`` (every form carries it) or as
the ``X-CSRF-Token`` header, and the role the API asks for the same change.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Request
from sqlalchemy import select

from tocsin.auth import accounts
from tocsin.auth.accounts import Principal
from tocsin.auth.deps import CSRF_HEADER, SESSION_COOKIE
from tocsin.auth.roles import Role, allows
from tocsin.auth.secrets import same
from tocsin.auth.tables import User
from tocsin.domain.refusals import Forbidden
from tocsin.http.runtime import RuntimeDep

UTC = ZoneInfo("UTC")


class SignInNeeded(Exception):
    """No console session: the browser goes to the login page, then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def login_url(self) -> str:
        return "/login?next=" + quote(self.next_path, safe="/")


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: what they may do, their CSRF token and their time zone."""

    principal: Principal
    zone: ZoneInfo

    @property
    def name(self) -> str:
        return self.principal.name

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def csrf_token(self) -> str:
        return self.principal.csrf_token or ""

    def may(self, role: Role) -> bool:
        return allows(self.principal.role, role)

    @property
    def can_respond(self) -> bool:
        return self.may("responder")

    @property
    def is_admin(self) -> bool:
        return self.may("admin")


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def signed_in(request: Request, tocsin: RuntimeDep) -> Viewer:
    """The console session's owner; :class:`SignInNeeded` when there is none."""
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = None
    zone_name = None
    if cookie:
        with tocsin.database.sessions() as session:
            principal = accounts.principal_for_session(session, cookie, now=tocsin.clock.now())
            if principal is not None:
                zone_name = session.scalar(
                    select(User.time_zone).where(User.id == principal.user_id)
                )
    if principal is None:
        query = request.url.query
        raise SignInNeeded(request.url.path + (f"?{query}" if query else ""))
    return Viewer(principal, _zone(zone_name))


SignedIn = Annotated[Viewer, Depends(signed_in)]


def acting(role: Role) -> Callable[..., Coroutine[Any, Any, Viewer]]:
    """A dependency for console writes: a session, its CSRF token, and at least ``role``."""

    async def check(request: Request, viewer: SignedIn) -> Viewer:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent:
            form = await request.form()
            field = form.get("csrf_token")
            sent = field if isinstance(field, str) else ""
        if not (viewer.csrf_token and sent and same(sent, viewer.csrf_token)):
            raise Forbidden("the form expired or did not come from this console; reload the page")
        if not viewer.may(role):
            raise Forbidden(f"this action needs the {role} role; you are a {viewer.role}")
        return viewer

    return check


def needing(role: Role) -> Callable[..., Viewer]:
    """A dependency for pages only ``role`` may open (a form to declare, say): no CSRF."""

    def check(viewer: SignedIn) -> Viewer:
        if not viewer.may(role):
            raise Forbidden(f"this page needs the {role} role; you are a {viewer.role}")
        return viewer

    return check


RespondingPage = Annotated[Viewer, Depends(needing("responder"))]
AdministeringPage = Annotated[Viewer, Depends(needing("admin"))]
#: A write any signed-in person may make about themselves (their own calendar feed).
Viewing = Annotated[Viewer, Depends(acting("viewer"))]
Responding = Annotated[Viewer, Depends(acting("responder"))]
Administering = Annotated[Viewer, Depends(acting("admin"))]
