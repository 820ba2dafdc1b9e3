"""Helpers for incident tests that go through the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app

API = "/api/v1/incidents"


def iso(value: datetime) -> str:
    """A time as the API writes it: ISO 8601 with a Z."""
    return value.isoformat().replace("+00:00", "Z")


def declare(client: TestClient, caller: Caller, **fields: Any) -> dict[str, Any]:
    body = {"title": "Payment processing is failing", "severity": "SEV-3", **fields}
    response = client.post(API, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    incident: dict[str, Any] = response.json()
    return incident


def get(client: TestClient, caller: Caller, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def timeline(client: TestClient, caller: Caller, reference: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = get(client, caller, f"{API}/{reference}/timeline")
    return entries


def incident(client: TestClient, caller: Caller, reference: str) -> dict[str, Any]:
    found: dict[str, Any] = get(client, caller, f"{API}/{reference}")
    return found


def field_error(response: Any) -> tuple[str, ...]:
    """The location of a 422's first error without its body/query prefix."""
    assert response.status_code == 422, response.text
    location = response.json()["detail"][0]["loc"]
    return tuple(str(part) for part in location[1:])


@contextmanager
def client_without_engine(tocsin: Tocsin) -> Iterator[TestClient]:
    """An API client whose app does not start the job engine's threads.

    Tests run due jobs themselves with ``tocsin.engine.run_until_idle()``, so
    what a job did is known at each step and no thread outlives the test.
    """
    app = create_app(tocsin, start_engine=False)
    with TestClient(app, base_url="https://testserver") as client:
        yield client
