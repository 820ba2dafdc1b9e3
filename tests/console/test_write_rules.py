"""Every console write, found by walking the app's routes: a viewer and a forged form get 403.

A new console form is covered as soon as its route exists: none may change
anything for a viewer, or without the session's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from tests.console.test_viewer import _log_in
from tocsin.app.service import Tocsin
from tocsin.console.route import ConsoleRoute

#: Writes a signed-out person makes: logging in and out check their own tokens.
OPEN_WRITES = {"/login", "/logout"}
#: Writes a viewer may make, about themselves only (the API allows them as much).
VIEWER_WRITES = {"/oncall/me/feed"}


def _routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with its full path, into included routers (FastAPI nests them)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _routes(included.routes, prefix + getattr(context, "prefix", ""))
        else:
            yield prefix + getattr(route, "path", ""), route


def _posts(client: TestClient) -> list[tuple[str, BaseRoute]]:
    app_routes = client.app.routes  # type: ignore[attr-defined]
    return [
        (path, route)
        for path, route in _routes(app_routes)
        if isinstance(route, APIRoute) and "POST" in (route.methods or set())
    ]


def _console_writes(client: TestClient) -> list[str]:
    return sorted(
        {
            re.sub(r"\{[^}]+\}", "1", path)
            for path, route in _posts(client)
            if isinstance(route, ConsoleRoute) and path not in OPEN_WRITES
        }
    )


def test_every_console_write_refuses_a_viewer_and_a_forged_form(
    tocsin: Tocsin, client: TestClient
) -> None:
    writes = _console_writes(client)
    assert "/pages/1/acknowledge" in writes
    token = _log_in(tocsin, client, "vic", "viewer")
    for path in writes:
        forged = client.post(path, data={"csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code == 403, f"{path} without the CSRF token: {forged.status_code}"
        if path in VIEWER_WRITES:
            continue
        viewer = client.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert viewer.status_code == 403, f"{path} as a viewer: {viewer.status_code}"
        assert "needs the" in viewer.text, path


def test_every_console_route_uses_the_console_route_class(client: TestClient) -> None:
    """Refusals on a console page must become pages: no plain APIRoute serves HTML writes."""
    plain = [
        path
        for path, route in _posts(client)
        if not isinstance(route, ConsoleRoute)
        and not route.include_in_schema  # type: ignore[attr-defined]
        and path not in OPEN_WRITES
        # The public pages (acknowledgement, status page subscriptions) have their own
        # route classes: they sit below the console and cannot use its.
        and not path.startswith(("/ack/", "/status/", "/v2/", "/api/", "/integrations/"))
    ]
    assert plain == []
