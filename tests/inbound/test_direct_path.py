"""The direct path of the hot inbound endpoints answers exactly as FastAPI's own path does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Scope

from tests.alerts.support import alerts, integration, payload
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.http.direct import DirectPath

JSON = {"content-type": "application/json"}


def _no_override() -> None:
    """A dependency nothing uses: overriding it sends every request through FastAPI's path."""


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths of the requests that took a direct path."""
    paths: list[str] = []
    serves = DirectPath.serves

    def counted(self: DirectPath, scope: Scope) -> bool:
        served = serves(self, scope)
        if served:
            paths.append(scope["path"])
        return served

    monkeypatch.setattr(DirectPath, "serves", counted)
    yield paths


def _requests(keys: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Bodies each endpoint refuses, one way or another, and requests for unknown keys."""
    am = f"/api/v1/integrations/{keys['alertmanager']}/alertmanager"
    event = {
        "routing_key": keys["pagerduty"],
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "h", "severity": "error"},
    }
    firing = payload("alertmanager_firing.json")
    wrong = dict(firing, alerts=[dict(firing["alerts"][0], status="exploded")])
    found: list[tuple[str, dict[str, Any]]] = []
    for url, body in ((am, firing), ("/v2/enqueue", event)):
        raw = json.dumps(body).encode()
        found += [
            (url, {"content": b"{", "headers": JSON}),
            (url, {"content": raw}),
            (url, {"content": raw, "headers": {"content-type": "text/plain"}}),
            (url, {"content": b"", "headers": JSON}),
            (url, {"content": b"[]", "headers": JSON}),
            (url, {"content": b"x" * 5000, "headers": JSON}),
            (url, {"content": iter([b"x" * 2500, b"y" * 2500]), "headers": JSON}),
            (url, {"content": b"[" * 40 + b"]" * 40, "headers": JSON}),
        ]
    return [
        *found,
        (am, {"json": wrong}),
        (f"/api/v1/integrations/{'0' * 32}/alertmanager", {"json": firing}),
        (f"/api/v1/integrations/{'0' * 300}/alertmanager", {"content": b"{", "headers": JSON}),
        (f"/api/v1/integrations/{keys['pagerduty']}/alertmanager", {"json": firing}),
        ("/v2/enqueue", {"json": dict(event, event_action="resolve")}),
        ("/v2/enqueue", {"json": dict(event, routing_key="0" * 32)}),
        ("/v2/enqueue", {"json": dict(event, payload={"severity": "bad"})}),
    ]


def _answer(client: TestClient, url: str, request: dict[str, Any]) -> tuple[int, str, str]:
    response = client.post(url, **request)
    return response.status_code, response.headers["content-type"], response.text


def test_refusals_are_the_same_on_the_direct_path_and_on_fastapis(
    tocsin: Tocsin, client: TestClient, admin: Caller, taken: list[str]
) -> None:
    tocsin.settings = replace(tocsin.settings, max_alert_body_bytes=4000)
    keys = {kind: integration(client, admin, kind, kind) for kind in ("alertmanager", "pagerduty")}
    requests = _requests(keys)
    direct = [_answer(client, url, request) for url, request in requests]
    assert len(taken) == len(requests)
    assert {status for status, _, _ in direct} == {400, 404, 413, 422}
    app: Any = client.app
    app.dependency_overrides[_no_override] = _no_override
    fastapi = [_answer(client, url, request) for url, request in _requests(keys)]
    assert len(taken) == len(requests)
    assert direct == fastapi
    assert alerts(tocsin) == []


def test_accepted_alerts_are_answered_on_the_direct_path(
    tocsin: Tocsin, client: TestClient, admin: Caller, taken: list[str]
) -> None:
    key = integration(client, admin, "am", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    answer = client.post(url, json=payload("alertmanager_firing.json"))
    assert answer.status_code == 202
    assert answer.headers["x-content-type-options"] == "nosniff"
    body = answer.json()
    assert body["status"] == "accepted" and body["integration"] == "am"
    assert {alert["result"] for alert in body["alerts"]} == {"open"}
    assert len(alerts(tocsin)) == len(body["alerts"])
    assert taken == [url]


def test_routes_of_another_shape_keep_fastapis_path(client: TestClient) -> None:
    app: Any = client.app
    shapes = {
        (route.path, method): getattr(route, "direct", None) is not None
        for route in app.routes
        for method in getattr(route, "methods", None) or ()
    }
    assert shapes[("/v2/enqueue", "POST")]
    assert shapes[("/api/v1/integrations/{key}/webhook", "POST")]
    # Opsgenie reads its key from a header; reports need a signed-in person.
    assert not shapes[("/v2/alerts", "POST")]
    assert not shapes[("/api/v1/reports", "POST")]
