"""Managing users through the API: self-service, admin changes, secrets kept hidden."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Caller


def test_user_changes_own_contact_methods_but_not_role(
    client: TestClient, responder: Caller
) -> None:
    change = {
        "time_zone": "Europe/Berlin",
        "contact_methods": [
            {"type": "email", "address": "rex@example.com"},
            {"type": "apprise", "url": "tgram://123456:SECRETBOTTOKEN/987654"},
            {"type": "webhook", "url": "https://hooks.example.com/T0/B0/secretpath?key=k"},
        ],
        "working_hours": {"days": ["mon", "tue"], "start": "08:00", "end": "16:00"},
    }
    answer = client.patch("/api/v1/users/rex", headers=responder.headers, json=change)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["time_zone"] == "Europe/Berlin"
    assert body["contact_methods"] == [
        {"type": "email", "address": "rex@example.com"},
        {"type": "apprise", "url": "tgram://123456/…"},
        {"type": "webhook", "url": "https://hooks.example.com/…"},
    ]
    assert body["working_hours"] == {
        "days": ["monday", "tuesday"],
        "start": "08:00",
        "end": "16:00",
    }
    assert "SECRETBOTTOKEN" not in client.get("/api/v1/users", headers=responder.headers).text

    role = client.patch("/api/v1/users/rex", headers=responder.headers, json={"role": "admin"})
    assert role.status_code == 403


def test_only_admins_change_others(client: TestClient, responder: Caller, admin: Caller) -> None:
    other = client.patch("/api/v1/users/ada", headers=responder.headers, json={"full_name": "X"})
    assert other.status_code == 403
    promoted = client.patch("/api/v1/users/rex", headers=admin.headers, json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"


def test_bad_contact_method_and_zone_name_the_field(client: TestClient, admin: Caller) -> None:
    answer = client.patch(
        "/api/v1/users/ada",
        headers=admin.headers,
        json={
            "time_zone": "Mars/Olympus",
            "contact_methods": [{"type": "sms", "address": "555"}],
        },
    )
    assert answer.status_code == 422
    locs = {tuple(error["loc"]) for error in answer.json()["detail"]}
    assert ("body", "time_zone") in locs
    assert any(loc[:3] == ("body", "contact_methods", 0) for loc in locs)
    assert (
        client.patch(
            "/api/v1/users/ghost", headers=admin.headers, json={"full_name": "G"}
        ).status_code
        == 404
    )


def test_patch_refuses_to_blank_required_fields(client: TestClient, admin: Caller) -> None:
    answer = client.patch(
        "/api/v1/users/ada",
        headers=admin.headers,
        json={"contact_methods": None, "time_zone": None, "email": None},
    )
    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [
        ["body", "contact_methods"],
        ["body", "time_zone"],
    ]
