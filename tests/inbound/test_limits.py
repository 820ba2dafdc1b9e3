"""Never lose an alert, never half-write one: size limits, bad bodies, bad keys, rate limits."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, count, integration, payload
from tests.conftest import Caller
from tocsin.alerts.tables import AlertEvent, AlertGroup
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


def test_bodies_over_the_limit_get_413_before_parsing(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    tocsin.settings = replace(tocsin.settings, max_alert_body_bytes=2000)
    key = integration(client, admin, "am", "alertmanager")
    big = payload("alertmanager_firing.json")
    answer = client.post(f"/api/v1/integrations/{key}/alertmanager", json=big)
    assert answer.status_code == 413
    assert answer.json() == {"detail": "request body exceeds 2000 bytes"}

    def chunks() -> list[bytes]:
        return [b'{"routing_key": "', b"x" * 3000, b'"}']

    streamed = client.post(
        "/v2/enqueue", content=iter(chunks()), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json()["status"] == "invalid event"


def test_malformed_bodies_name_the_field_and_store_nothing(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    key = integration(client, admin, "am", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    body = payload("alertmanager_firing.json")
    body["alerts"][1]["status"] = "exploded"
    answer = client.post(url, json=body)
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "alerts", 1, "status"]
    not_json = client.post(url, content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 422
    assert not_json.json()["detail"][0]["type"] == "json_invalid"
    assert alerts(tocsin) == []
    assert count(tocsin, AlertGroup) == count(tocsin, AlertEvent) == 0


def test_unknown_and_revoked_keys_look_the_same(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    key = integration(client, admin, "am", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    assert client.post(url, json=payload("alertmanager_firing.json")).status_code == 202
    revoked = client.post("/api/v1/integrations/am/revoke", headers=admin.headers)
    assert revoked.json() == {"integration": "am", "revoked": 1}
    after = client.post(url, json=payload("alertmanager_resolved.json"))
    never = client.post(
        f"/api/v1/integrations/{'0' * 32}/alertmanager", json=payload("alertmanager_resolved.json")
    )
    assert after.status_code == never.status_code == 404
    assert after.json() == never.json()
    rotated = client.post("/api/v1/integrations/am/rotate", headers=admin.headers).json()
    assert (
        rotated["endpoint"]
        == f"https://testserver/api/v1/integrations/{rotated['key']}/alertmanager"
    )
    fresh = client.post(
        f"/api/v1/integrations/{rotated['key']}/alertmanager",
        json=payload("alertmanager_resolved.json"),
    )
    assert fresh.status_code == 202
    listed = client.get("/api/v1/integrations/am", headers=admin.headers).json()
    assert [k["hint"] for k in listed["keys"]] == [key[-4:], rotated["key"][-4:]]
    assert [k["revoked_at"] is None for k in listed["keys"]] == [False, True]
    assert rotated["key"] not in str(listed)


def test_rate_limit_applies_per_key_and_refills_with_time(
    client: TestClient, admin: Caller, clock: FakeClock
) -> None:
    key = integration(client, admin, "am", "alertmanager", rate_limit_per_minute=1)
    other = integration(client, admin, "am2", "alertmanager", rate_limit_per_minute=1)
    body = payload("alertmanager_firing.json")
    assert client.post(f"/api/v1/integrations/{key}/alertmanager", json=body).status_code == 202
    limited = client.post(f"/api/v1/integrations/{key}/alertmanager", json=body)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert client.post(f"/api/v1/integrations/{other}/alertmanager", json=body).status_code == 202
    clock.advance(seconds=60)
    assert client.post(f"/api/v1/integrations/{key}/alertmanager", json=body).status_code == 202


def test_only_admins_manage_integrations_and_settings_are_checked(
    client: TestClient, responder: Caller, admin: Caller
) -> None:
    answer = client.post(
        "/api/v1/integrations",
        json={"name": "x", "service": "s", "type": "alertmanager"},
        headers=responder.headers,
    )
    assert answer.status_code == 403
    assert (
        client.post("/api/v1/integrations/x/rotate", headers=responder.headers).status_code == 403
    )
    heartbeat = client.post(
        "/api/v1/integrations",
        json={"name": "x", "service": "s", "type": "heartbeat"},
        headers=admin.headers,
    )
    assert heartbeat.status_code == 422
    assert "a heartbeat integration needs heartbeat" in heartbeat.text
    integration(client, admin, "x", "alertmanager")
    again = client.post(
        "/api/v1/integrations",
        json={"name": "x", "service": "s", "type": "grafana"},
        headers=admin.headers,
    )
    assert again.status_code == 409


def test_pagerduty_and_opsgenie_answer_bad_bodies_in_their_own_formats(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    pd = integration(client, admin, "pd", "pagerduty")
    json_type = {"content-type": "application/json"}
    broken = client.post("/v2/enqueue", content=b'{"routing_key": ', headers=json_type)
    assert broken.status_code == 400
    assert broken.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Event object is not valid JSON: Expecting value at character 16"],
    }
    text = client.post(
        "/v2/enqueue", content=b'{"routing_key": "x"}', headers={"content-type": "text/plain"}
    )
    assert text.status_code == 400
    assert text.json()["errors"] == [
        "Event object must be sent as JSON (Content-Type: application/json)"
    ]
    empty = client.post("/v2/enqueue", content=b"", headers=json_type)
    assert (empty.status_code, empty.json()["errors"]) == (400, ["Event object is missing"])
    field = client.post(
        "/v2/enqueue", json={"routing_key": pd, "event_action": "trigger", "payload": []}
    )
    assert field.status_code == 400 and field.json()["errors"][0].startswith("'payload' is invalid")

    og = integration(client, admin, "og", "opsgenie")
    genie = {"Authorization": f"GenieKey {og}"}
    for answer, code in (
        (client.post("/v2/alerts", content=b"{", headers={**genie, **json_type}), 400),
        (
            client.post("/v2/alerts", content=b"{}", headers={**genie, "content-type": "text/xml"}),
            415,
        ),
        (client.post("/v2/alerts", json={"message": ""}, headers=genie), 422),
        (client.post("/v2/alerts/x/close", content=b"[", headers={**genie, **json_type}), 400),
    ):
        assert answer.status_code == code, answer.text
        assert set(answer.json()) >= {"message", "took", "requestId"}
        assert "detail" not in answer.json()
    not_json = client.post("/v2/alerts", content=b"{", headers={**genie, **json_type})
    assert not_json.json()["message"] == (
        "Request body is not valid JSON:"
        " Expecting property name enclosed in double quotes at character 1."
    )
    tocsin.settings = replace(tocsin.settings, max_alert_body_bytes=100)
    large = client.post("/v2/alerts", json={"message": "x" * 200}, headers=genie)
    assert large.status_code == 413
    assert set(large.json()) == {"message", "took", "requestId"}
