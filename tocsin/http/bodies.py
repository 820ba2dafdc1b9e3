"""Request bodies: the one size limit, and inbound bodies refused in each source's format.

:meth:`LimitedRequest.of` is the body limit of every route: the API's own
(:class:`tocsin.http.checked.CheckedRoute`, ``TOCSIN_MAX_API_BODY_BYTES``)
and the inbound ones (:func:`limited_route`, ``TOCSIN_MAX_ALERT_BODY_BYTES``).
A body announced larger is refused before it is read, one that streams in
larger as soon as it passes the limit.

:func:`limited_route` gives each inbound router a route class that refuses
bodies over the limit, bodies sent with a Content-Type other than JSON, and
JSON nested deeper than :data:`~tocsin.domain.untrusted.MAX_DEPTH`; it parses
JSON with :func:`tocsin.domain.untrusted.parse` (NUL, lone surrogates and
bytes that are not UTF-8 become U+FFFD) and hands every refusal, Pydantic's
included, to the source's own answer (Tocsin's ``detail``, PagerDuty's
``invalid event``, Opsgenie's ``message``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Self

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic_core import ErrorDetails
from starlette.types import Receive, Scope, Send

from tocsin.domain import untrusted
from tocsin.http.direct import DirectPath
from tocsin.http.runtime import runtime_of

NOT_JSON = "the body must be JSON (Content-Type: application/json)"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE, detail=f"request body exceeds {limit} bytes"
        )
        self.limit = limit


class BodyRefused(HTTPException):
    """A body refused while it is parsed; ``errors`` name the fields, as Pydantic's do."""

    def __init__(self, errors: list[ErrorDetails]) -> None:
        super().__init__(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=errors)
        self.errors = errors


def _refusal(kind: str, loc: tuple[str | int, ...], message: str) -> ErrorDetails:
    return {"type": kind, "loc": loc, "msg": message, "input": None}


def _json_content(content_type: str | None) -> bool:
    """Whether a Content-Type header announces JSON (no header: taken as JSON)."""
    if content_type is None:
        return True
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class LimitedRequest(Request):
    """A request whose body may not exceed ``limit`` bytes; checked while it streams in.

    Its JSON is parsed by :func:`tocsin.domain.untrusted.parse`: NUL, lone
    surrogates and bytes that are not UTF-8 become U+FFFD, and nesting deeper
    than :data:`~tocsin.domain.untrusted.MAX_DEPTH` is refused.
    """

    def __init__(self, request: Request, limit: int) -> None:
        super().__init__(request.scope, request.receive)
        self.limit = limit

    @classmethod
    def of(cls, request: Request, limit: int) -> Self:
        """``request`` with a body of at most ``limit`` bytes.

        :class:`BodyTooLarge` at once when its Content-Length announces more.
        """
        length = request.headers.get("content-length", "")
        if length.isdecimal() and int(length) > limit:
            raise BodyTooLarge(limit)
        return cls(request, limit)

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            chunks = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > self.limit:
                    raise BodyTooLarge(self.limit)
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = untrusted.parse(body)
            except untrusted.TooDeep as error:
                raise BodyRefused(
                    [_refusal("too_deep", ("body", *error.path), str(error))]
                ) from error
        return self._json


InvalidAnswer = Callable[[Sequence[ErrorDetails]], Response]
#: Answers a request (FastAPI's handler, or a direct path that sends its own answer: None).
Run = Callable[[Request], Awaitable[Response | None]]
TooLargeAnswer = Callable[[int], Response]


def limited_route(on_invalid: InvalidAnswer, on_too_large: TooLargeAnswer) -> type[APIRoute]:
    """A route class enforcing the body limit and answering bad bodies in a source's format.

    A route of the simplest shape is answered on a :class:`~tocsin.http.direct.DirectPath`,
    with the same checks and answers.
    """

    class LimitedRoute(APIRoute):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.direct = DirectPath.of(self)

        async def answer(self, request: Request, run: Run) -> Response | None:
            """``run`` the request with its body limit; bad bodies answered in the source's format.

            None when ``run`` sent the answer itself.
            """
            settings = runtime_of(request).settings
            try:
                limited = LimitedRequest.of(request, settings.max_alert_body_bytes)
                if (
                    self.body_field is not None
                    and not _json_content(limited.headers.get("content-type"))
                    and await limited.body()
                ):
                    return on_invalid([_refusal("content_type", ("body",), NOT_JSON)])
                return await run(limited)
            except BodyTooLarge as error:
                return on_too_large(error.limit)
            except BodyRefused as error:
                return on_invalid(error.errors)
            except RequestValidationError as error:
                return on_invalid(error.errors())

        def get_route_handler(self) -> Callable[[Request], Any]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                response = await self.answer(request, original)
                assert response is not None  # FastAPI's handler returns its response
                return response

            return handler

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            direct = self.direct
            if direct is None or not direct.serves(scope):
                await super().handle(scope, receive, send)
                return

            async def run(request: Request) -> None:
                await direct.answer(request, send)

            response = await self.answer(Request(scope, receive), run)
            if response is not None:
                await response(scope, receive, send)

    return LimitedRoute
