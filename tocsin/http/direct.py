"""A direct path through an endpoint of the simplest shape, for the hottest routes.

FastAPI answers a request through its generic machinery: an exit stack per
request, dependency resolution that walks the endpoint's whole signature
each time, telemetry hooks, a response object. For an inbound alert that was
about a fifth of the server's CPU in a profile (dependency resolution alone
15%, body validation included). :class:`DirectPath` serves a route whose
endpoint is an ``async`` function taking only path parameters, one required
JSON body and ``async`` dependencies that need nothing but the request (the
running Tocsin), and does the same work in a straight line: it reads the body
once, validates the path parameters and the body with FastAPI's own fields
(so the errors are the same, ``loc`` included), resolves the dependencies,
awaits the endpoint and serializes its answer with the route's response
model, as FastAPI would. FastAPI's telemetry spans of the dependencies and
the endpoint are not recorded for these routes.

The route stays an ordinary FastAPI route: it is matched, documented in the
OpenAPI schema and answered by the app's exception handlers as before. A
route of any other shape, a method the route does not take or an app with
dependency overrides (tests) goes through FastAPI as usual.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from pydantic_core import ErrorDetails
from starlette.types import Scope, Send

#: ``(name, function of the request)`` for each dependency of the endpoint.
Provider = tuple[str, Callable[[Request], Awaitable[Any]]]


def _provider(dependency: Dependant) -> Provider | None:
    """The dependency as a function of the request, if that is all it needs."""
    call = dependency.call
    needs_more = (
        dependency.dependencies
        or dependency.path_params
        or dependency.query_params
        or dependency.header_params
        or dependency.cookie_params
        or dependency.body_params
        or dependency.websocket_param_name
        or dependency.http_connection_param_name
        or dependency.response_param_name
        or dependency.background_tasks_param_name
        or dependency.security_scopes_param_name
        or dependency.scope == "function"
    )
    if (
        call is None
        or needs_more
        or dependency.name is None
        or dependency.request_param_name is None
        or not inspect.iscoroutinefunction(call)
    ):
        return None
    parameter = dependency.request_param_name
    return dependency.name, lambda request: call(**{parameter: request})


def _plain_response(route: APIRoute) -> bool:
    """Whether the route answers with the default JSON class and its model as it is."""
    return (
        isinstance(route.response_class, DefaultPlaceholder)
        and route.response_model_include is None
        and route.response_model_exclude is None
        and route.response_model_by_alias
        and not route.response_model_exclude_unset
        and not route.response_model_exclude_defaults
        and not route.response_model_exclude_none
        and not route.is_sse_stream
        and not route.is_json_stream
        and route.stream_item_field is None
    )


@dataclass(frozen=True)
class DirectPath:
    """How to answer one route directly (:meth:`of` says whether it can be)."""

    route: APIRoute
    providers: tuple[Provider, ...]

    @classmethod
    def of(cls, route: APIRoute) -> DirectPath | None:
        dependant = route.dependant
        if (
            not inspect.iscoroutinefunction(dependant.call)
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or len(dependant.body_params) > 1
            or route._embed_body_fields
            or dependant.request_param_name
            or dependant.websocket_param_name
            or dependant.http_connection_param_name
            or dependant.response_param_name
            or dependant.background_tasks_param_name
            or dependant.security_scopes_param_name
            or route.response_field is None
            or (route.body_field is not None and not route.body_field.field_info.is_required())
            or not _plain_response(route)
        ):
            return None
        providers = [_provider(dependency) for dependency in dependant.dependencies]
        if any(provider is None for provider in providers):
            return None
        return cls(route, tuple(provider for provider in providers if provider is not None))

    def serves(self, scope: Scope) -> bool:
        """Whether this request may take the direct path."""
        app = scope.get("app")
        return scope["method"] in (self.route.methods or ()) and not getattr(
            app, "dependency_overrides", None
        )

    async def arguments(self, request: Request) -> dict[str, Any]:
        """The endpoint's arguments; raises what FastAPI's request handler raises.

        :class:`RequestValidationError` for invalid parameters or body (with
        FastAPI's errors), the body's own refusals (too large, too deep),
        and a 400 for a body that cannot be read at all.
        """
        values: dict[str, Any] = {}
        for name, provide in self.providers:
            values[name] = await provide(request)
        errors: list[Any] = []
        path_params = request.scope.get("path_params", {})
        for field in self.route.dependant.path_params:
            value, problems = field.validate(
                path_params.get(field.alias), {}, loc=("path", field.alias)
            )
            errors.extend(problems)
            values[field.name] = value
        body_field = self.route.body_field
        if body_field is not None:
            body = await self._body(request)
            if body is _MISSING:
                errors.append(_MISSING_BODY)
                value = None
            else:
                value, problems = body_field.validate(body, {}, loc=("body",))
                errors.extend(problems)
            values[body_field.name] = value
        if errors:
            raise RequestValidationError(errors)
        return values

    @staticmethod
    async def _body(request: Request) -> Any:
        """The parsed body, or :data:`_MISSING` when there is none to parse (as FastAPI)."""
        try:
            body = await request.body()
            if not body:
                return _MISSING
            # FastAPI's strict content type: without a Content-Type the bytes
            # are validated as they are (and refused). A Content-Type other
            # than JSON was refused before.
            if not request.headers.get("content-type"):
                return body
            return await request.json()
        except json.JSONDecodeError as error:
            invalid: ErrorDetails = {
                "type": "json_invalid",
                "loc": ("body", error.pos),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": error.msg},
            }
            raise RequestValidationError([invalid]) from error
        except HTTPException:
            raise
        except Exception as error:
            raise HTTPException(400, "There was an error parsing the body") from error

    async def answer(self, request: Request, send: Send) -> None:
        """Run the endpoint with ``request``'s arguments and send its answer."""
        route = self.route
        endpoint: Callable[..., Awaitable[Any]] = route.dependant.call  # type: ignore[assignment]
        result = await endpoint(**await self.arguments(request))
        if isinstance(result, Response):
            await result(request.scope, request.receive, send)
            return
        await send_json(send, route.status_code or 200, self._serialized(result))

    def _serialized(self, result: Any) -> bytes:
        field = self.route.response_field
        assert field is not None  # checked by :meth:`of`
        value, errors = field.validate(result, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors, body=result)
        content: bytes = field.serialize_json(value)
        return content


_MISSING = object()
#: FastAPI's error for a required body that was not sent.
_MISSING_BODY: ErrorDetails = {
    "type": "missing",
    "loc": ("body",),
    "msg": "Field required",
    "input": None,
}


async def send_json(send: Send, status_code: int, content: bytes) -> None:
    """Send ``content`` as a JSON answer, headers as Starlette's ``Response`` writes them."""
    headers: Sequence[tuple[bytes, bytes]] = [
        (b"content-length", str(len(content)).encode("latin-1")),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": status_code, "headers": headers})
    await send({"type": "http.response.body", "body": content})
