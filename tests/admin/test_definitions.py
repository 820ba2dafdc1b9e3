"""Definitions through the API: read-only when a file manages them, validated otherwise."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.config import apply, validate_directory

SEED = Path(__file__).resolve().parents[2] / "examples" / "config"


def apply_seed(tocsin: Tocsin) -> None:
    validation = validate_directory(SEED, CONFIG_KINDS, now=tocsin.clock.now())
    assert validation.ok
    with tocsin.database.transaction() as session:
        apply(session, validation.configuration, now=tocsin.clock.now())


def test_managed_objects_are_read_only_and_name_their_file(
    client: TestClient, tocsin: Tocsin, admin: Caller
) -> None:
    apply_seed(tocsin)
    level = client.get("/api/v1/severities/SEV-1", headers=admin.headers).json()
    assert level["managed_by"] == "severity-definitions.yaml"
    assert level["spec"]["response_time"] == {
        "text": "5 minutes",
        "seconds": 300,
        "next_business_day": False,
    }

    body = {
        "level": "SEV-1",
        "name": "Critical",
        "response_time": "1 minute",
        "communication": "Every 15 minutes",
        "escalation": "None",
    }
    answer = client.put("/api/v1/severities/SEV-1", headers=admin.headers, json=body)
    assert answer.status_code == 409
    assert answer.json()["detail"] == (
        "severity 'SEV-1' is managed by configuration file severity-definitions.yaml; "
        "change it there and run tocsin config apply"
    )
    gone = client.delete("/api/v1/schedules/on-call-schedule", headers=admin.headers)
    assert gone.status_code == 409
    assert "on-call-schedule.yaml" in gone.json()["detail"]
    user = client.delete("/api/v1/users/engineer-a", headers=admin.headers)
    assert user.status_code == 409
    assert "on-call-schedule.yaml" in user.json()["detail"]


def test_api_managed_objects_round_trip_with_references_checked(
    client: TestClient, admin: Caller, viewer: Caller
) -> None:
    team = {"members": ["ada", "vic"], "roles": {"team_lead": "ada"}}
    created = client.put("/api/v1/teams/payments", headers=admin.headers, json=team)
    assert created.status_code == 200, created.text
    assert created.json() == {
        "name": "payments",
        "managed_by": None,
        "spec": {"description": "", "members": ["ada", "vic"], "roles": {"team_lead": "ada"}},
    }

    service = {"team": "payments", "escalation_policy": "nope"}
    bad = client.put("/api/v1/services/checkout", headers=admin.headers, json=service)
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {
            "loc": ["body", "escalation_policy"],
            "msg": "unknown escalation_policy 'nope'",
            "type": "reference",
        }
    ]

    policy = {
        "steps": [{"targets": [{"team": "payments", "role": "team_lead"}], "timeout_minutes": 5}]
    }
    assert (
        client.put(
            "/api/v1/escalation-policies/pay", headers=admin.headers, json=policy
        ).status_code
        == 200
    )
    service["escalation_policy"] = "pay"
    assert (
        client.put("/api/v1/services/checkout", headers=admin.headers, json=service).status_code
        == 200
    )
    assert client.get("/api/v1/services/checkout", headers=viewer.headers).json()["spec"] == {
        "description": "",
        "team": "payments",
        "escalation_policy": "pay",
        "runbooks": [],
        "components": [],
    }

    in_use = client.delete("/api/v1/teams/payments", headers=admin.headers)
    assert in_use.status_code == 409
    assert in_use.json()["detail"] == (
        "team 'payments' is still referred to by escalation policy 'pay', service 'checkout'"
    )
    assert client.delete("/api/v1/services/checkout", headers=admin.headers).status_code == 204
    assert client.get("/api/v1/services/checkout", headers=admin.headers).status_code == 404


def test_invalid_bodies_name_the_field(client: TestClient, admin: Caller) -> None:
    answer = client.put(
        "/api/v1/escalation-policies/p",
        headers=admin.headers,
        json={"steps": [{"targets": [{"user": "ada"}], "timeout_minutes": "five"}]},
    )
    assert answer.status_code == 422
    locs = [error["loc"] for error in answer.json()["detail"]]
    assert locs == [["body", "steps", 0, "timeout_minutes"]]
    extra = client.put("/api/v1/teams/t", headers=admin.headers, json={"colour": "red"})
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["loc"] == ["body", "colour"]


def test_only_admins_write_definitions(client: TestClient, responder: Caller) -> None:
    answer = client.put("/api/v1/teams/x", headers=responder.headers, json={})
    assert answer.status_code == 403
    assert client.get("/api/v1/teams", headers=responder.headers).json() == []
