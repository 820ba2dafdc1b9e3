"""Notification rules through the API: each person their own, admins anyone's, files win."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.paging.conftest import configure
from tocsin.app.service import Tocsin

RULES = "/api/v1/users/{}/notification-rules"
PUSH_THEN_SMS = {
    "high_urgency": [{"method": "email"}, {"method": "webhook", "after_minutes": 3}],
    "low_urgency": [{"method": "webhook"}],
    "quiet_hours": {"start": "22:00", "end": "07:00"},
}
DEFAULTS: dict[str, Any] = {"high_urgency": [], "low_urgency": [], "quiet_hours": None}


def put(client: TestClient, caller: Caller, name: str, body: Any) -> Any:
    return client.put(RULES.format(name), json=body, headers=caller.headers)


def simulate(client: TestClient, caller: Caller, urgency: str = "high") -> list[tuple[str, float]]:
    """How the one-step policy paging rex would notify him: (method, minute) pairs."""
    answer = client.post(
        "/api/v1/escalation-policies/rex-only/simulate",
        json={"at": "2026-02-16T14:00:00Z", "urgency": urgency},
        headers=caller.headers,
    )
    assert answer.status_code == 200, answer.text
    (person,) = answer.json()["steps"][0]["targets"][0]["people"]
    return [(n["method"].split()[0], n["minute"]) for n in person["notifications"]]


def test_a_person_replaces_their_own_rules_and_paging_follows_them(
    client: TestClient, responder: Caller, admin: Caller
) -> None:
    methods = [
        {"type": "webhook", "url": "https://hooks.example.com/rex"},
        {"type": "email", "address": "rex@example.com"},
    ]
    patched = client.patch(
        "/api/v1/users/rex", json={"contact_methods": methods}, headers=responder.headers
    )
    assert patched.status_code == 200, patched.text
    policy = {"steps": [{"targets": [{"user": "rex"}], "timeout_minutes": 5}]}
    created = client.put("/api/v1/escalation-policies/rex-only", json=policy, headers=admin.headers)
    assert created.status_code == 200, created.text

    before = client.get(RULES.format("rex"), headers=responder.headers)
    assert before.status_code == 200
    assert before.json() == {"user": "rex", "managed_by": None, "rules": DEFAULTS}
    assert simulate(client, responder) == [("webhook", 0), ("email", 0)]

    answer = put(client, responder, "rex", PUSH_THEN_SMS)
    assert answer.status_code == 200, answer.text
    expected = {
        "high_urgency": [
            {"method": "email", "after_minutes": 0},
            {"method": "webhook", "after_minutes": 3},
        ],
        "low_urgency": [{"method": "webhook", "after_minutes": 0}],
        "quiet_hours": {"start": "22:00", "end": "07:00"},
    }
    assert answer.json() == {"user": "rex", "managed_by": None, "rules": expected}
    assert client.get(RULES.format("rex"), headers=responder.headers).json()["rules"] == expected
    assert simulate(client, responder) == [("email", 0), ("webhook", 3)]
    assert simulate(client, responder, "low") == [("webhook", 0)]

    assert put(client, responder, "rex", {}).json()["rules"] == DEFAULTS
    assert simulate(client, responder) == [("webhook", 0), ("email", 0)]

    audit = client.get(
        "/api/v1/audit", params={"object_type": "notification_rules"}, headers=admin.headers
    ).json()
    assert [(e["actor"], e["action"], e["object_key"]) for e in audit] == [
        ("rex", "definition.change", "rex"),
        ("rex", "definition.create", "rex"),
    ]


def test_only_admins_read_or_change_other_peoples_rules(
    client: TestClient, responder: Caller, admin: Caller, viewer: Caller
) -> None:
    assert client.get(RULES.format("ada"), headers=responder.headers).status_code == 403
    refused = put(client, responder, "ada", PUSH_THEN_SMS)
    assert refused.status_code == 403
    assert client.get(RULES.format("ada"), headers=admin.headers).json()["rules"] == DEFAULTS
    assert put(client, admin, "rex", PUSH_THEN_SMS).status_code == 200
    assert client.get(RULES.format("rex"), headers=admin.headers).json()["rules"]["quiet_hours"]
    assert put(client, viewer, "vic", {"low_urgency": [{"method": "email"}]}).status_code == 200
    assert client.get(RULES.format("rex")).status_code == 401
    assert put(client, admin, "ghost", PUSH_THEN_SMS).status_code == 404
    assert client.get(RULES.format("ghost"), headers=admin.headers).status_code == 404


def test_bad_rules_are_422_naming_the_field_and_change_nothing(
    client: TestClient, responder: Caller
) -> None:
    assert put(client, responder, "rex", PUSH_THEN_SMS).status_code == 200
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        ({"high_urgency": [{"method": "pigeon"}]}, ["body", "high_urgency", 0, "method"]),
        (
            {"low_urgency": [{"method": "sms", "after_minutes": -1}]},
            ["body", "low_urgency", 0, "after_minutes"],
        ),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, ["body", "quiet_hours", "end"]),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, ["body", "quiet_hours", "start"]),
        ({"high_urgenc": []}, ["body", "high_urgenc"]),
    ]
    for body, location in cases:
        answer = put(client, responder, "rex", body)
        assert answer.status_code == 422, body
        assert [error["loc"] for error in answer.json()["detail"]] == [location], body
    kept = client.get(RULES.format("rex"), headers=responder.headers).json()["rules"]
    assert kept["quiet_hours"] == {"start": "22:00", "end": "07:00"}


def test_people_and_rules_from_configuration_files_are_409_naming_the_file(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, tmp_path: Path
) -> None:
    files = {
        "people.yaml": "users:\n  ana:\n    email: ana@example.com\n",
        "rules.yaml": "notification_rules:\n  rex:\n    high_urgency: [{method: sms}]\n",
    }
    configure(tocsin, tmp_path / "config", files, seeds=False)
    managed_person = put(client, admin, "ana", PUSH_THEN_SMS)
    assert managed_person.status_code == 409
    assert "managed by configuration file people.yaml" in managed_person.json()["detail"]
    managed_rules = put(client, responder, "rex", PUSH_THEN_SMS)
    assert managed_rules.status_code == 409
    assert "managed by configuration file rules.yaml" in managed_rules.json()["detail"]
    shown = client.get(RULES.format("rex"), headers=responder.headers).json()
    assert shown["managed_by"] == "rules.yaml"
    assert shown["rules"]["high_urgency"] == [{"method": "sms", "after_minutes": 0}]
    assert client.get(RULES.format("ana"), headers=admin.headers).json()["managed_by"] == (
        "people.yaml"
    )


def test_deleting_a_person_deletes_the_rules_made_for_them(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    created = client.post(
        "/api/v1/users", json={"name": "zoe", "role": "responder"}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    assert put(client, admin, "zoe", PUSH_THEN_SMS).status_code == 200
    assert client.delete("/api/v1/users/zoe", headers=admin.headers).status_code == 204
    again = client.post(
        "/api/v1/users", json={"name": "zoe", "role": "responder"}, headers=admin.headers
    )
    assert again.status_code == 201
    assert client.get(RULES.format("zoe"), headers=admin.headers).json()["rules"] == DEFAULTS
