"""``ConsoleRoute``: console answers are pages, including the refusals.

The API answers a refusal with JSON (:mod:`tocsin.http.errors`); a person
posting a form reads a page instead, with the same status (403, 404, 409,
422...) and the same sentence, and a link back. Bad form input is a 422 that
names each field. Without a session the browser is sent to log in.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from tocsin.console.rendering import page
from tocsin.console.viewer import SignInNeeded, Viewer, signed_in
from tocsin.domain.refusals import Refusal
from tocsin.http.errors import refusal_status, text
from tocsin.http.runtime import Runtime


def _back(request: Request) -> str:
    """Where "back" goes: the page the form was on, when it is one of ours."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.path.startswith("/") and referer.netloc in ("", request.url.netloc):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


def _viewer(request: Request) -> Viewer | None:
    try:
        runtime: Runtime = request.app.state.tocsin
        return signed_in(request, runtime)
    except SignInNeeded:
        return None


def _field(location: tuple[object, ...]) -> str:
    names = [str(part) for part in location if part not in ("body", "query", "path", "form")]
    return ".".join(names) or "the form"


#: What a form's answer can refuse: a capability's refusal, or a field that is wrong.
Unfit = Refusal | RequestValidationError | ValidationError


def explained(error: Unfit) -> tuple[int, list[str]]:
    """The status of a refusal or of bad input, and its sentences (each bad field named)."""
    if isinstance(error, Refusal):
        return refusal_status(error), [text(str(error), 1000)]
    return 422, [
        f"{_field(tuple(fault.get('loc', ())))}: {text(str(fault.get('msg', '')))}"
        for fault in error.errors()
    ]


def refused_page(request: Request, status_code: int, problems: list[str]) -> Response:
    return page(
        request,
        "refused.html",
        _viewer(request),
        {
            "problems": problems,
            "back": _back(request),
            "status": status_code,
            "changed_nothing": request.method != "GET",
        },
        status_code=status_code,
    )


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded as needed:
                if request.method != "GET":
                    return refused_page(request, 401, ["Your session ended; log in again."])
                return RedirectResponse(needed.login_url, status_code=303)
            except (Refusal, RequestValidationError, ValidationError) as refused:
                return refused_page(request, *explained(refused))
            except OperationalError:
                return refused_page(
                    request, 503, ["The database is busy or unreachable; try again shortly."]
                )

        return answer
