"""Assigning, handing over and taking incident roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller, make_caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
    incident,
    timeline,
)
from tocsin.app.service import Tocsin


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def test_roles_handover_and_removal(
    client: TestClient, tocsin: Tocsin, responder: Caller, admin: Caller
) -> None:
    make_caller(tocsin, "bea", "responder")
    reference = declare(client, responder)["reference"]
    path = f"{API}/{reference}/roles"

    def assign(role: str, user: str) -> list[str]:
        response = client.post(path, json={"role": role, "user": user}, headers=responder.headers)
        assert response.status_code == 200, response.text
        return [entry["text"] for entry in response.json()["entries"]]

    assert assign("incident_commander", "rex") == ["rex is now Incident Commander"]
    assert assign("incident_commander", "rex") == []
    assert assign("incident_commander", "bea") == ["Incident Commander handed over from rex to bea"]
    assert assign("technical_lead", "rex") == ["rex is now Operations Lead"]
    assert assign("responder", "ada") == ["ada joined as Responder"]
    assert assign("responder", "rex") == ["rex joined as Responder"]
    holders = {(r["role"], r["user"]) for r in incident(client, responder, reference)["roles"]}
    assert holders == {
        ("incident_commander", "bea"),
        ("operations_lead", "rex"),
        ("responder", "ada"),
        ("responder", "rex"),
    }

    response = client.post(
        path, json={"role": "scribe", "user": "nobody"}, headers=responder.headers
    )
    assert field_error(response) == ("user",)
    response = client.post(path, json={"role": "chef", "user": "rex"}, headers=responder.headers)
    assert field_error(response) == ("role",)

    response = client.delete(f"{path}/responder", headers=responder.headers)
    assert field_error(response) == ("user",)
    response = client.delete(f"{path}/scribe", headers=responder.headers)
    assert response.status_code == 409 and "scribe has no holder" in response.json()["detail"]
    response = client.delete(f"{path}/incident_commander?user=rex", headers=responder.headers)
    assert response.status_code == 409
    assert "rex is not incident_commander; held by bea" in response.json()["detail"]
    response = client.delete(f"{path}/responder?user=ada", headers=responder.headers)
    assert [e["text"] for e in response.json()["entries"]] == ["ada is no longer Responder"]
    response = client.delete(f"{path}/incident_commander", headers=responder.headers)
    assert [e["text"] for e in response.json()["entries"]] == [
        "bea is no longer Incident Commander"
    ]
    role_entries = [e for e in timeline(client, responder, reference) if e["kind"] == "role_change"]
    assert len(role_entries) == 7
