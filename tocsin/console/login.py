"""Logging in to the console and out of it.

The login form is protected against login CSRF by a double-submit cookie; a
successful login sets the session cookie and goes back to the page that asked
for it (``next``, a path of this site only).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.auth import accounts
from tocsin.auth.accounts import SESSION_LIFETIME
from tocsin.auth.deps import SESSION_COOKIE, remote_addr
from tocsin.auth.secrets import same, verify_password
from tocsin.auth.throttle import LoginThrottle
from tocsin.console.rendering import page
from tocsin.http.runtime import RuntimeDep

router = APIRouter(include_in_schema=False)


def _safe_next(path: str | None) -> str:
    """``path`` when it is a page of this site, else the home page (no open redirect)."""
    if path and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/"


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
    next_path: str | None = None,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        None,
        {"login_csrf": token, "error": error, "username": username, "next": _safe_next(next_path)},
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
def login_form(
    request: Request, tocsin: RuntimeDep, next: Annotated[str, Query(max_length=2000)] = "/"
) -> Response:
    return _login_page(request, tocsin.settings.secure_cookies, next_path=next)


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
    next: Annotated[str, Form(max_length=2000)] = "/",
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
            next_path=next,
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
            next_path=next,
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
            next_path=next,
        )
    plain, _ = opened
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
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
