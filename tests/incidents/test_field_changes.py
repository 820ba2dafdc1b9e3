"""Changing an incident's fields, custom ones included: one timeline entry per field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
    iso,
)
from tocsin.app.service import Tocsin
from tocsin.db.audit import AuditEntry
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def test_field_changes_are_timeline_entries(
    client: TestClient, tocsin: Tocsin, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(client, responder, services=["payments"])["reference"]
    started = clock.now() - timedelta(hours=1)
    response = client.patch(
        f"{API}/{reference}",
        json={
            "title": "Payments time out",
            "services": ["payments"],
            "impact_started_at": iso(started),
            "impact": {"error_budget_consumed": "35%"},
            "links": [{"kind": "war_room", "url": "https://chat.example.com/inc"}],
        },
        headers=responder.headers,
    )
    assert response.status_code == 200, response.text
    changed = [entry["details"]["field"] for entry in response.json()["entries"]]
    assert changed == ["title", "impact_started_at", "impact.error_budget_consumed", "links"]
    after = response.json()["incident"]
    assert after["title"] == "Payments time out"
    assert after["impact"]["error_budget_consumed"] == "35%"
    assert after["links"] == [
        {"kind": "war_room", "url": "https://chat.example.com/inc", "title": ""}
    ]
    title_entry = response.json()["entries"][0]
    assert title_entry["details"] == {
        "field": "title",
        "from": json.dumps("Payment processing is failing"),
        "to": json.dumps("Payments time out"),
    }
    with tocsin.database.sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("incident.update") == 4

    later = iso(clock.now() + timedelta(minutes=5))
    response = client.patch(
        f"{API}/{reference}", json={"impact_started_at": later}, headers=responder.headers
    )
    assert field_error(response) == ("impact_started_at",)
    response = client.patch(f"{API}/{reference}", json={"title": None}, headers=responder.headers)
    assert field_error(response) == ("title",)


def test_custom_fields_follow_their_configured_definitions(
    client: TestClient, tocsin: Tocsin, responder: Caller, clock: FakeClock
) -> None:
    from tocsin.config.tables import Definition

    with tocsin.database.transaction() as session:
        for name, spec in [
            ("region", {"type": "choice", "choices": ["eu", "us"]}),
            ("customers", {"type": "number"}),
        ]:
            session.add(
                Definition(
                    kind="incident_field",
                    name=name,
                    spec=spec,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    reference = declare(client, responder, custom_fields={"region": "eu"})["reference"]
    path = f"{API}/{reference}"
    response = client.patch(
        path, json={"custom_fields": {"customers": 3, "region": None}}, headers=responder.headers
    )
    assert response.json()["incident"]["custom_fields"] == {"customers": 3}
    response = client.patch(
        path, json={"custom_fields": {"region": "mars"}}, headers=responder.headers
    )
    assert field_error(response) == ("custom_fields", "region")
    assert "expected one of eu, us" in response.text
