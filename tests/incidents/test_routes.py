"""The incident API as a whole: who may do what, unknown incidents, lists, documentation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
    get,
    incident,
    iso,
    timeline,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def test_unknown_incidents_answer_404(client: TestClient, viewer: Caller) -> None:
    for path in ("/INC-999", "/999/timeline", "/nonsense", "/999/export", "/999/checklist"):
        response = client.get(API + path, headers=viewer.headers)
        assert response.status_code == 404, path
        assert "no incident" in response.json()["detail"]


def test_viewers_read_but_do_not_act(client: TestClient, responder: Caller, viewer: Caller) -> None:
    reference = declare(client, responder)["reference"]
    assert incident(client, viewer, reference)["reference"] == reference
    writes = [
        ("post", API, {"title": "x", "severity": "SEV-3"}),
        ("post", f"{API}/{reference}/severity", {"severity": "SEV-1", "reason": "x"}),
        ("post", f"{API}/{reference}/roles", {"role": "scribe", "user": "vic"}),
        ("post", f"{API}/{reference}/notes", {"text": "x"}),
        ("post", f"{API}/{reference}/checklist", {"key": "triage.what-is-the-severity"}),
        ("patch", f"{API}/{reference}", {"title": "y"}),
    ]
    for method, path, body in writes:
        response = client.request(method.upper(), path, json=body, headers=viewer.headers)
        assert response.status_code == 403, path
    assert len(timeline(client, viewer, reference)) == 1
    assert client.get(API).status_code == 401


def test_list_filters_and_pages(client: TestClient, responder: Caller, clock: FakeClock) -> None:
    first = declare(client, responder, title="DB down", severity="SEV-1", services=["db"])
    clock.advance(hours=1)
    second = declare(client, responder, title="Slow", severity="SEV-3", tags=["latency"])
    clock.advance(hours=1)
    drill = declare(client, responder, title="Game day", severity="SEV-2", drill=True)
    client.post(
        f"{API}/{second['reference']}/status",
        json={"status": "responding"},
        headers=responder.headers,
    )

    def refs(**params: object) -> list[str]:
        page = get(client, responder, API, **params)
        return [item["reference"] for item in page["items"]]

    assert refs() == [drill["reference"], second["reference"], first["reference"]]
    assert refs(status="responding") == [second["reference"]]
    assert refs(status=["triage", "responding"], drill=False) == [
        second["reference"],
        first["reference"],
    ]
    assert refs(severity="sev1") == [first["reference"]]
    assert refs(service="db") == [first["reference"]]
    assert refs(tag="latency") == [second["reference"]]
    assert refs(drill=True) == [drill["reference"]]
    start = datetime.fromisoformat(first["detected_at"])
    window = {"from": iso(start + timedelta(minutes=30)), "to": iso(start + timedelta(hours=2))}
    assert refs(**window) == [second["reference"]]
    page = get(client, responder, API, limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [item["reference"] for item in page["items"]] == [second["reference"]]
    assert field_error(client.get(API, params={"status": "open"}, headers=responder.headers)) == (
        "status",
    )
    response = client.get(API, params={"severity": "P1"}, headers=responder.headers)
    assert field_error(response) == ("severity",)


def test_closed_incidents_take_only_notes(client: TestClient, admin: Caller) -> None:
    reference = declare(client, admin)["reference"]
    for status in ("responding", "resolved", "closed"):
        client.post(f"{API}/{reference}/status", json={"status": status}, headers=admin.headers)
    for method, path, body in [
        ("POST", f"{API}/{reference}/severity", {"severity": "SEV-1", "reason": "x"}),
        ("POST", f"{API}/{reference}/roles", {"role": "scribe", "user": "ada"}),
        ("POST", f"{API}/{reference}/checklist", {"key": "triage.what-is-the-severity"}),
        ("PATCH", f"{API}/{reference}", {"title": "y"}),
    ]:
        response = client.request(method, path, json=body, headers=admin.headers)
        assert response.status_code == 409, path
        assert "is closed and its record is final" in response.json()["detail"]
    response = client.post(
        f"{API}/{reference}/notes", json={"text": "postmortem on Monday"}, headers=admin.headers
    )
    assert response.status_code == 201


def test_every_incident_operation_is_documented_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        if (path.startswith("/api/v1/incidents") and not path.endswith("/postmortem"))
        or path in ("/api/v1/classify", "/api/v1/severities")
        for method, operation in methods.items()
    ]
    assert len(operations) == 16
    schemas = spec["components"]["schemas"]
    for path, method, operation in operations:
        assert operation.get("summary"), (path, method)
        assert "401" in operation["responses"], (path, method)
        body = operation.get("requestBody")
        if body:
            reference = body["content"]["application/json"]["schema"]["$ref"]
            assert schemas[reference.rsplit("/", 1)[1]].get("examples"), (path, method)
        if method in ("post", "patch", "delete") and "classify" not in path:
            assert {"403", "409", "422"} <= set(operation["responses"]), (path, method)
