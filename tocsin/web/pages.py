"""The web console (login, logout, overview, outbox) and the public status page."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.auth import accounts
from tocsin.auth.accounts import SESSION_LIFETIME, Principal
from tocsin.auth.deps import SESSION_COOKIE, remote_addr
from tocsin.auth.roles import allows
from tocsin.auth.secrets import same, verify_password
from tocsin.auth.throttle import LoginThrottle
from tocsin.config.plain_kinds import STATUS_PAGE_COMPONENT
from tocsin.config.tables import Definition
from tocsin.engine import jobs
from tocsin.http.runtime import Runtime, RuntimeDep
from tocsin.notify import outbox
from tocsin.notify.settings import NotifySettings

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

#: Double-submit cookie that protects the login form against login CSRF.
LOGIN_CSRF_COOKIE = "tocsin_login_csrf"
#: What a login finding every password-check slot busy reads, and when to retry.
BUSY = "Too many logins are being checked right now. Try again in a few seconds."
BUSY_RETRY_SECONDS = 5


def _login_page(
    request: Request,
    secure: bool,
    *,
    error: str | None = None,
    username: str | None = None,
    code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"login_csrf": token, "error": error, "username": username, "csrf_token": None},
        status_code=code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, secure=secure, samesite="strict", max_age=3600
    )
    return response


def _too_many(
    request: Request, secure: bool, username: str, sentence: str, seconds: int
) -> Response:
    response = _login_page(
        request,
        secure,
        error=sentence,
        username=username,
        code=status.HTTP_429_TOO_MANY_REQUESTS,
    )
    response.headers["Retry-After"] = str(seconds)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, tocsin: RuntimeDep) -> Response:
    return _login_page(request, tocsin.settings.secure_cookies)


def login_throttle(request: Request) -> LoginThrottle:
    """The app's login throttle (one per process, see :mod:`tocsin.auth.throttle`)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    tocsin: RuntimeDep,
    throttle: Annotated[LoginThrottle, Depends(login_throttle)],
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=100)],
) -> Response:
    secure = tocsin.settings.secure_cookies
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same(expected, csrf_token):
        return _login_page(
            request,
            secure,
            error="The form expired; please try again.",
            username=username,
            code=status.HTTP_403_FORBIDDEN,
        )
    address = remote_addr(request)
    # Refused before any hashing or database work: throttled names and addresses,
    # and logins beyond the few password checks allowed at once.
    throttled = throttle.refusal(username, address, tocsin.clock.now())
    if throttled is not None:
        return _too_many(request, secure, username, throttled.sentence(), throttled.seconds)
    with throttle.password_check() as checking:
        if not checking:
            return _too_many(request, secure, username, BUSY, BUSY_RETRY_SECONDS)
        with tocsin.database.sessions() as session:
            stored = accounts.password_hash(session, username)
        correct = verify_password(stored, password)
    now = tocsin.clock.now()
    if not correct:
        started = throttle.failed(username, address, now)
        with tocsin.database.transaction() as session:
            accounts.login_failed(
                session, username, now=now, throttled=started, remote_addr=address
            )
        return _login_page(
            request,
            secure,
            error="Wrong user name or password.",
            username=username,
            code=status.HTTP_401_UNAUTHORIZED,
        )
    throttle.succeeded(username)
    with tocsin.database.transaction() as session:
        opened = accounts.open_session(session, username, now=now, remote_addr=address)
    if opened is None:
        return _login_page(
            request,
            secure,
            error="Wrong user name or password.",
            username=username,
            code=status.HTTP_401_UNAUTHORIZED,
        )
    plain, _ = opened
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        plain,
        httponly=True,
        secure=secure,
        samesite="lax",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, tocsin: RuntimeDep, csrf_token: Annotated[str, Form(max_length=100)]
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    if cookie:
        with tocsin.database.transaction() as session:
            principal = accounts.principal_for_session(session, cookie, now=tocsin.clock.now())
            if principal is None or not same(principal.csrf_token or "", csrf_token):
                return Response("missing or wrong CSRF token", status_code=403)
            accounts.logout(
                session,
                cookie,
                now=tocsin.clock.now(),
                actor=principal.name,
                remote_addr=remote_addr(request),
            )
    response.delete_cookie(SESSION_COOKIE)
    return response


def _signed_in(request: Request, session: Session, tocsin: Runtime) -> Principal | None:
    """Who the console session cookie belongs to; None: the page sends them to log in."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return accounts.principal_for_session(session, cookie, now=tocsin.clock.now())


def _to_login() -> Response:
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/", response_class=HTMLResponse)
def console(request: Request, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        principal = _signed_in(request, session, tocsin)
        if principal is None:
            return _to_login()
        counts = jobs.count_by_state(session)
        definitions = session.execute(
            select(Definition.kind, func.count())
            .group_by(Definition.kind)
            .order_by(Definition.kind)
        ).all()
    return templates.TemplateResponse(
        request,
        "console.html",
        {
            "principal": principal,
            "csrf_token": principal.csrf_token,
            "job_counts": counts,
            "definitions": [(kind, n) for kind, n in definitions],
        },
    )


#: How many messages the outbox page shows, newest first.
OUTBOX_SHOWN = 100


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, tocsin: RuntimeDep) -> Response:
    """Messages recorded instead of sent: every one for admins, their own for others."""
    with tocsin.database.sessions() as session:
        principal = _signed_in(request, session, tocsin)
        if principal is None:
            return _to_login()
        everyone = allows(principal.role, "admin")
        messages = outbox.listing(
            session, user=None if everyone else principal.name, limit=OUTBOX_SHOWN
        )
    return templates.TemplateResponse(
        request,
        "outbox.html",
        {
            "principal": principal,
            "csrf_token": principal.csrf_token,
            "messages": messages,
            "everyone": everyone,
            "outbox_mode": NotifySettings.from_env().outbox,
        },
    )


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        components = list(
            session.scalars(
                select(Definition)
                .where(Definition.kind == STATUS_PAGE_COMPONENT)
                .order_by(Definition.position, Definition.name)
            )
        )
    return templates.TemplateResponse(
        request, "status.html", {"components": components, "csrf_token": None}
    )
