"""Declaring an incident through the API: what it stores, and what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

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


def test_declare_answers_201_with_id_status_and_severity(
    client: TestClient, responder: Caller, clock: FakeClock
) -> None:
    started = clock.now() - timedelta(minutes=20)
    created = declare(
        client,
        responder,
        severity="sev 2",
        summary="Card payments time out",
        services=["payments", "checkout"],
        tags=["pci"],
        impact_started_at=iso(started),
        impact={"users_affected": 12500, "revenue_impact": "$45,000"},
        links=[{"kind": "dashboard", "url": "https://grafana.example.com/d/pay"}],
    )
    assert created["id"] >= 1
    assert created["reference"] == f"INC-{created['id']}"
    assert (created["status"], created["severity"]) == ("triage", "SEV-2")
    assert created["created_by"] == responder.name
    assert created["detected_at"] == created["declared_at"] == iso(clock.now())
    assert created["impact_started_at"] == iso(started)
    assert created["services"] == ["checkout", "payments"]
    assert created["impact"]["users_affected"] == 12500
    assert created["checklist"] == {"done": 0, "total": 24}
    assert incident(client, responder, str(created["id"])) == created
    (entry,) = timeline(client, responder, created["reference"])
    assert entry["kind"] == "declared"
    assert entry["details"]["severity"] == "SEV-2"
    assert entry["text"] == "Declared by hand as SEV-2 (Major): Payment processing is failing"


def test_declare_from_a_user_report_and_as_a_drill(client: TestClient, responder: Caller) -> None:
    created = declare(
        client, responder, source="user_report", reported_by="support ticket 4711", drill=True
    )
    assert created["source"] == "user_report" and created["drill"] is True
    (entry,) = timeline(client, responder, created["reference"])
    assert entry["text"].startswith("Drill: Declared from a user report by support ticket 4711")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"severity": "SEV-9"}, ("severity",)),
        ({"title": ""}, ("title",)),
        ({"title": "   "}, ("title",)),
        ({"source": "alert"}, ("source",)),
        ({"detected_at": "2030-01-01T00:00:00Z"}, ("detected_at",)),
        ({"detected_at": "2026-01-05T09:00:00"}, ("detected_at",)),
        ({"impact_started_at": "2026-01-05T10:00:00Z"}, ("impact_started_at",)),
        ({"custom_fields": {"region": "eu"}}, ("custom_fields", "region")),
        ({"links": [{"kind": "ticket", "url": "not a url"}]}, ("links", "0", "url")),
        ({"services": [" "]}, ("services",)),
        ({"impact": {"users_affected": -1}}, ("impact", "users_affected")),
    ],
)
def test_bad_declarations_name_the_field_and_store_nothing(
    client: TestClient, responder: Caller, body: dict[str, object], field: tuple[str, ...]
) -> None:
    full = {"title": "Broken", "severity": "SEV-3", **body}
    assert field_error(client.post(API, json=full, headers=responder.headers)) == field
    assert get(client, responder, API)["total"] == 0


def test_unknown_severity_lists_the_configured_levels(
    client: TestClient, responder: Caller
) -> None:
    response = client.post(API, json={"title": "x", "severity": "P1"}, headers=responder.headers)
    assert response.json()["detail"][0]["msg"] == (
        "unknown severity 'P1'; configured levels: SEV-1, SEV-2, SEV-3, SEV-4"
    )
