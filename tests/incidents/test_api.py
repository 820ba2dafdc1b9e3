"""The incident API: declaring, reading, listing, fields, roles, notes, checklist, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller, make_caller
from tests.incidents.support import (
    API,
    client_without_engine,
    declare,
    field_error,
    get,
    incident,
    timeline,
)
from tocsin.app.service import Tocsin
from tocsin.db.audit import AuditEntry
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


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


def test_severity_changes_need_a_reason_and_are_on_the_timeline(
    client: TestClient, responder: Caller
) -> None:
    reference = declare(client, responder, severity="SEV-3")["reference"]
    path = f"{API}/{reference}/severity"
    response = client.post(
        path, json={"severity": "SEV-2", "reason": " "}, headers=responder.headers
    )
    assert field_error(response) == ("reason",)
    response = client.post(
        path, json={"severity": "SEV-3", "reason": "same"}, headers=responder.headers
    )
    assert response.status_code == 409
    assert response.json()["detail"] == f"{reference} is already SEV-3"

    raised = client.post(
        path,
        json={"severity": "SEV-2", "reason": "no workaround after all"},
        headers=responder.headers,
    )
    lowered = client.post(
        path, json={"severity": "SEV-4", "reason": "only one tenant"}, headers=responder.headers
    )
    assert raised.status_code == lowered.status_code == 200
    assert lowered.json()["incident"]["severity"] == "SEV-4"
    entries = [e for e in timeline(client, responder, reference) if e["kind"] == "severity_change"]
    assert [e["text"] for e in entries] == [
        "Severity SEV-3 → SEV-2 (raised): no workaround after all",
        "Severity SEV-2 → SEV-4 (lowered): only one tenant",
    ]


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


def test_notes_back_dating_and_corrections(
    client: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(client, responder)["reference"]
    path = f"{API}/{reference}/notes"
    clock.advance(minutes=30)
    earlier = clock.now() - timedelta(minutes=10)
    response = client.post(
        path,
        json={"text": "Rolled back to v3.4.1", "kind": "action", "occurred_at": iso(earlier)},
        headers=responder.headers,
    )
    assert response.status_code == 201
    note = response.json()
    assert (note["sequence"], note["note_kind"]) == (2, "action")
    assert (note["occurred_at"], note["recorded_at"]) == (iso(earlier), iso(clock.now()))

    correction = client.post(
        path, json={"text": "It was v3.4.0", "corrects": 2}, headers=responder.headers
    ).json()
    assert (correction["kind"], correction["corrects"]) == ("correction", 2)
    entries = timeline(client, responder, reference)
    assert entries[1] == note  # the corrected entry is never changed

    future = iso(clock.now() + timedelta(minutes=1))
    for body, field in [
        ({"text": "x", "occurred_at": future}, ("occurred_at",)),
        ({"text": "x", "corrects": 99}, ("corrects",)),
        ({"text": "x", "kind": "rumour"}, ("kind",)),
        ({"text": "  "}, ("text",)),
    ]:
        assert field_error(client.post(path, json=body, headers=responder.headers)) == field
    assert timeline(client, responder, reference) == entries

    by_occurrence = get(client, responder, f"{API}/{reference}/timeline", order="occurred")
    assert [e["sequence"] for e in by_occurrence] == [1, 2, 3]


def test_checklist_ticks_are_timeline_entries_and_duties_follow_roles(
    client: TestClient, responder: Caller
) -> None:
    reference = declare(client, responder)["reference"]
    path = f"{API}/{reference}/checklist"
    checklist = get(client, responder, path)
    sections = list(dict.fromkeys(item["section"] for item in checklist["items"]))
    assert sections == [
        "Detection",
        "Triage",
        "Assign Roles",
        "Investigate",
        "Mitigate",
        "Communicate",
        "Resolve",
    ]
    assert checklist["duties"] == []

    key = "investigate.review-recent-deployments"
    ticked = client.post(path, json={"key": key}, headers=responder.headers).json()
    item = next(i for i in ticked["items"] if i["key"] == key)
    assert (item["done"], item["done_by"]) == (True, responder.name)
    assert ticked["progress"] == {"done": 1, "total": 24}
    client.post(path, json={"key": key}, headers=responder.headers)  # a repeat changes nothing
    client.post(path, json={"key": key, "done": False}, headers=responder.headers)
    texts = [e["text"] for e in timeline(client, responder, reference) if e["kind"] == "checklist"]
    assert texts == [
        "Ticked “Review recent deployments” (Investigate)",
        "Unticked “Review recent deployments” (Investigate)",
    ]
    response = client.post(path, json={"key": "nope"}, headers=responder.headers)
    assert field_error(response) == ("key",)

    client.post(
        f"{API}/{reference}/roles",
        json={"role": "scribe", "user": "rex"},
        headers=responder.headers,
    )
    client.post(path, json={"key": "scribe.record-timeline-of-events"}, headers=responder.headers)
    (duties,) = get(client, responder, path)["duties"]
    assert duties["user"] == "rex"
    assert [(i["text"], i["done"]) for i in duties["items"]] == [
        ("Record timeline of events", True),
        ("Document actions taken and by whom", False),
        ("Capture decisions and their rationale", False),
        ("Prepare notes for the postmortem", False),
    ]


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


def test_export_markdown_and_json(client: TestClient, admin: Caller, clock: FakeClock) -> None:
    reference = declare(client, admin, title="DB down", services=["db"])["reference"]
    client.post(
        f"{API}/{reference}/roles",
        json={"role": "incident_commander", "user": "ada"},
        headers=admin.headers,
    )
    clock.advance(minutes=5)
    client.post(
        f"{API}/{reference}/notes",
        json={"text": "Failover started", "kind": "action"},
        headers=admin.headers,
    )
    client.post(
        f"{API}/{reference}/notes", json={"text": "At 09:04", "corrects": 3}, headers=admin.headers
    )

    markdown = client.get(f"{API}/{reference}/export", headers=admin.headers)
    assert markdown.headers["content-type"].startswith("text/markdown")
    text = markdown.text
    assert text.startswith(f"# {reference}: DB down\n")
    assert "- Incident Commander: ada" in text
    assert "- #3 **2026-01-05 09:05 UTC** · action · ada: Failover started" in text
    assert "  - #4 **Correction** (2026-01-05 09:05 UTC · ada): At 09:04" in text
    assert "- Services: db" in text

    data = client.get(f"{API}/{reference}/export", params={"format": "json"}, headers=admin.headers)
    document = data.json()
    assert document["incident"]["reference"] == reference
    assert document["incident"]["services"] == ["db"]
    assert [e["sequence"] for e in document["entries"]] == [1, 2, 3]
    assert document["entries"][2]["corrections"][0]["text"] == "At 09:04"
    response = client.get(
        f"{API}/{reference}/export", params={"format": "pdf"}, headers=admin.headers
    )
    assert field_error(response) == ("format",)


def test_every_incident_operation_is_documented_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        if path.startswith("/api/v1/incidents")
        or path in ("/api/v1/classify", "/api/v1/severities")
        for method, operation in methods.items()
    ]
    assert len(operations) == 15
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
