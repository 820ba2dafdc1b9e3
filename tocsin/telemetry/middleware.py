"""HTTP request durations, by route template, method and status class.

Installed once, outside every other middleware but Starlette's error handler
(:mod:`tocsin.app.web_app`), so it times what a client waits for. The route
is the template the router matched (``/api/v1/incidents/{reference}``,
``/static/{path}`` for a mount), read from the ASGI scope once the app has
answered: never the raw path, which would make one series per incident, key
or typo. A request no route matched counts as ``unmatched``.

The clock is the process's monotonic one, not Tocsin's injected clock: this
measures the server, not domain time.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.telemetry import instruments


def route_template(scope: Scope) -> str:
    """The template of the route that answered, or :data:`~instruments.UNMATCHED`."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) and template else instruments.UNMATCHED


class RequestDurations:
    """ASGI middleware recording each HTTP request's duration once its answer is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts: Starlette's error handler then sends a 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            instruments.request_served(
                route_template(scope), scope["method"], status, time.perf_counter() - started
            )
