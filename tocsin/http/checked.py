"""The route class of the API's own endpoints: a body limit, and text the databases can store.

- Bodies over ``TOCSIN_MAX_API_BODY_BYTES`` (1 MiB unless set) get 413 before
  they are parsed, with the same mechanism as the inbound alert endpoints
  (:meth:`tocsin.http.bodies.LimitedRequest.of`), which have their own limit.
- JSON text may spell NUL (``"\\u0000"``, which PostgreSQL cannot store) and
  lone surrogates (``"\\ud800"``, which no UTF-8 database can); bodies,
  query parameters and paths carrying either get 422 naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

from tocsin.http.bodies import LimitedRequest
from tocsin.http.errors import text
from tocsin.http.runtime import runtime_of


def _problem(value: str) -> str | None:
    if "\x00" in value:
        return "must not contain NUL characters (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text; a lone surrogate such as \\ud800 is not"
    return None


def _strings(data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string in parsed JSON (keys too) with where it is, without recursion."""
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield (*path, key), key
                pending.append(((*path, key), item))
        elif isinstance(value, list):
            pending.extend(((*path, index), item) for index, item in enumerate(value))


def _refuse(loc: list[str | int], message: str) -> HTTPException:
    shown = [part if isinstance(part, int) else text(part) for part in loc]
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": shown, "msg": message, "type": "value_error"}],
    )


class CheckedRequest(LimitedRequest):
    """A request with the body limit whose JSON holds only text the databases can store."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            data = json.loads(await self.body())
            for path, value in _strings(data):
                problem = _problem(value)
                if problem is not None:
                    raise _refuse(["body", *path], problem)
            self._json = data
        return self._json


def _check_url(request: Request) -> None:
    if "\x00" in request.url.path:
        raise _refuse(["path"], "must not contain NUL characters (%00)")
    for name, value in request.query_params.multi_items():
        problem = _problem(name) or _problem(value)
        if problem is not None:
            raise _refuse(["query", name], problem)


class CheckedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Any]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            checked = CheckedRequest.of(request, runtime_of(request).settings.max_api_body_bytes)
            _check_url(request)
            response: Response = await original(checked)
            return response

        return handler
