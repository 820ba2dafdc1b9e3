"""Opsgenie's Alert API: the official Python SDK works by changing its host."""

from __future__ import annotations

import opsgenie_sdk
import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import alerts, events, integration, served
from tests.conftest import Caller
from tocsin.app.service import Tocsin


def _api(url: str, key: str) -> opsgenie_sdk.AlertApi:
    configuration = opsgenie_sdk.Configuration()
    configuration.host = url
    configuration.api_key["Authorization"] = key
    configuration.retry_enabled = False
    return opsgenie_sdk.AlertApi(api_client=opsgenie_sdk.ApiClient(configuration=configuration))


def test_the_opsgenie_sdk_creates_acknowledges_notes_and_closes(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    key = integration(client, admin, "opsgenie", "opsgenie")
    with served(tocsin) as url:
        api = _api(url, key)
        created = api.create_alert(
            create_alert_payload=opsgenie_sdk.CreateAlertPayload(
                message="Checkout error rate above 5%",
                alias="checkout-errors",
                description="5xx ratio 7.2% over 5 minutes",
                tags=["env:prod", "checkout"],
                details={"region": "eu-west-1", "runbook_url": "https://runbooks.example.com/5xx"},
                entity="checkout-api",
                source="cloudwatch",
                priority="P1",
            )
        )
        assert created.result == "Request will be processed"
        assert created.request_id and created.took >= 0
        api.acknowledge_alert(
            "checkout-errors",
            identifier_type="alias",
            acknowledge_alert_payload=opsgenie_sdk.AcknowledgeAlertPayload(
                user="alice", note="Looking"
            ),
        )
        api.add_note(
            "checkout-errors",
            identifier_type="alias",
            add_note_to_alert_payload=opsgenie_sdk.AddNoteToAlertPayload(note="Rolled back"),
        )
        api.close_alert(
            "checkout-errors",
            identifier_type="alias",
            close_alert_payload=opsgenie_sdk.CloseAlertPayload(user="alice", note="Fixed"),
        )
        with pytest.raises(opsgenie_sdk.exceptions.AuthenticationException) as refused:
            _api(url, "f" * 32).create_alert(
                create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="x")
            )
        assert refused.value.status == 401
    [alert] = alerts(tocsin)
    assert (alert.dedup_key, alert.severity, alert.status) == (
        "checkout-errors",
        "critical",
        "resolved",
    )
    assert alert.labels == {
        "env": "prod",
        "checkout": "true",
        "entity": "checkout-api",
        "priority": "P1",
    }
    assert (alert.acknowledged_by, alert.resolved_by) == ("alice", "alice")
    assert alert.runbook_url == "https://runbooks.example.com/5xx"
    assert events(tocsin, alert_id=alert.id) == [
        "triggered",
        "grouped",
        "acknowledged",
        "note",
        "resolved",
    ]


def test_answers_are_opsgenie_s(tocsin: Tocsin, client: TestClient, admin: Caller) -> None:
    key = integration(client, admin, "opsgenie", "opsgenie")
    headers = {"Authorization": f"GenieKey {key}"}
    missing = client.post("/v2/alerts", json={"alias": "a"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["message"] == "Request body is not processable. Please check the errors."
    assert missing.json()["errors"] == {"message": "Message can not be empty."}
    unauthenticated = client.post("/v2/alerts", json={"message": "m"})
    assert unauthenticated.status_code == 401
    assert set(unauthenticated.json()) == {"message", "took", "requestId"}
    created = client.post("/v2/alerts", json={"message": "m", "alias": "a"}, headers=headers)
    assert created.status_code == 202
    assert set(created.json()) == {"result", "took", "requestId"}
    [alert] = alerts(tocsin)
    by_id = client.post(
        f"/v2/alerts/{alert.id}/close", params={"identifierType": "id"}, headers=headers
    )
    unknown_alias = client.post(
        "/v2/alerts/nothing-open/close", params={"identifierType": "alias"}, headers=headers
    )
    assert by_id.status_code == unknown_alias.status_code == 202
    assert alerts(tocsin)[0].status == "resolved"


def test_an_id_of_digits_python_cannot_read_as_a_number_is_no_server_error(
    client: TestClient, admin: Caller
) -> None:
    # "¹" is a digit to str.isdigit() but not a number to int(): the fuzzer found a 500 here.
    key = integration(client, admin, "opsgenie", "opsgenie")
    headers = {"Authorization": f"GenieKey {key}"}
    answer = client.post(
        "/v2/alerts/%C2%B9/close", params={"identifierType": "id"}, headers=headers
    )
    assert answer.status_code == 202
