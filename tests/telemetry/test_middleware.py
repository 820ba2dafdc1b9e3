"""The request timer labels by route template, never by path, and counts server errors too."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

from tests.telemetry.support import recorded
from tocsin.telemetry.middleware import RequestDurations

COUNT = "tocsin_http_request_duration_seconds_count"


async def incident(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"incident {request.path_params['number']}")


async def broken(_: Request) -> PlainTextResponse:
    raise RuntimeError("a bug")


def app(static: Path) -> Starlette:
    return Starlette(
        routes=[
            Route("/test-telemetry/incidents/{number:int}", incident),
            Route("/test-telemetry/broken", broken),
            Mount("/test-telemetry/static", StaticFiles(directory=static)),
        ],
    )


def test_requests_are_counted_by_template_method_and_status_class(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("body {}")
    served = app(tmp_path)
    served.add_middleware(RequestDurations)
    before = recorded()
    with TestClient(served, raise_server_exceptions=False) as client:
        for number in (1, 2, 3):
            assert client.get(f"/test-telemetry/incidents/{number}").status_code == 200
        assert client.post("/test-telemetry/incidents/4").status_code == 405
        assert client.get("/test-telemetry/static/a.css").status_code == 200
        assert client.get("/test-telemetry/nowhere/42").status_code == 404
        assert client.request("BREW", "/test-telemetry/incidents/5").status_code == 405
        assert client.get("/test-telemetry/broken").status_code == 500
    after = recorded()

    def delta(route: str, method: str, status_class: str) -> float:
        labels = {"route": route, "method": method, "status_class": status_class}
        return after.value(COUNT, **labels) - before.value(COUNT, **labels)

    incidents = "/test-telemetry/incidents/{number}"
    assert delta(incidents, "GET", "2xx") == 3
    assert delta(incidents, "POST", "4xx") == 1
    assert delta(incidents, "other", "4xx") == 1
    assert delta("/test-telemetry/static/{path}", "GET", "2xx") == 1
    assert delta("unmatched", "GET", "4xx") == 1
    assert delta("/test-telemetry/broken", "GET", "5xx") == 1
    routes = after.label_values("tocsin_http_request_duration_seconds", "route")
    assert not [route for route in routes if "42" in route or "a.css" in route]
