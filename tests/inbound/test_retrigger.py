"""A later trigger of an open alert keeps what is known, and its own payload is in the history."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.alerts.support import alerts, integration, payload
from tests.conftest import Caller
from tocsin.app.service import Tocsin

RUNBOOK = "https://runbooks.example.com/checkout"


def history(client: TestClient, caller: Caller, alert_id: int) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/alerts/{alert_id}", headers=caller.headers)
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return [event for event in events if event["kind"] in ("triggered", "repeated")]


def test_a_pagerduty_retrigger_without_details_or_links_keeps_them_and_the_runbook(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    key = integration(client, admin, "pd", "pagerduty")
    details = {"p99_ms": 2300, "runbook_url": RUNBOOK, "by": {"eu": 1}}
    first: dict[str, Any] = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "checkout-p99",
        "payload": {
            "summary": "Checkout p99 above 2s",
            "source": "checkout-api-1",
            "severity": "critical",
            "component": "checkout",
            "custom_details": details,
        },
        "links": [{"href": "https://grafana.example.com/d/1", "text": "Dashboard"}],
        "client": "Grafana",
    }
    assert client.post("/v2/enqueue", json=first).status_code == 202
    again: dict[str, Any] = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "checkout-p99",
        "payload": {
            "summary": "Checkout p99 above 3s",
            "source": "checkout-api-1",
            "severity": "critical",
        },
    }
    assert client.post("/v2/enqueue", json=again).status_code == 202
    [alert] = alerts(tocsin)
    assert alert.occurrences == 2
    assert alert.summary == "Checkout p99 above 3s"
    assert alert.details["custom_details"] == details
    assert alert.details["client"] == "Grafana"
    assert alert.links == [{"href": "https://grafana.example.com/d/1", "text": "Dashboard"}]
    assert alert.labels["component"] == "checkout"
    assert alert.runbook_url == RUNBOOK

    third = {
        **again,
        "payload": {**again["payload"], "custom_details": {"by": {"us": 2}}},
        "links": [{"href": "https://logs.example.com/q", "text": "Logs"}],
    }
    assert client.post("/v2/enqueue", json=third).status_code == 202
    [alert] = alerts(tocsin)
    assert alert.details["custom_details"] == {
        "p99_ms": 2300,
        "runbook_url": RUNBOOK,
        "by": {"eu": 1, "us": 2},
    }
    assert [link["text"] for link in alert.links] == ["Dashboard", "Logs"]

    triggered, repeated, repeated_again = history(client, admin, alert.id)
    assert triggered["detail"]["payload"]["details"]["custom_details"]["p99_ms"] == 2300
    assert repeated["detail"]["payload"]["summary"] == "Checkout p99 above 3s"
    assert repeated["detail"]["payload"]["details"]["custom_details"] is None
    assert repeated["detail"]["payload"]["links"] == []
    assert repeated_again["detail"]["payload"]["details"]["custom_details"] == {"by": {"us": 2}}


def test_an_opsgenie_recreate_keeps_the_description_details_and_tags_it_leaves_out(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    key = integration(client, admin, "og", "opsgenie")
    genie = {"Authorization": f"GenieKey {key}"}
    first = {
        "message": "Checkout errors",
        "alias": "checkout-errors",
        "description": "5xx ratio 7%",
        "tags": ["env:prod"],
        "details": {"runbook_url": RUNBOOK, "region": "eu"},
    }
    assert client.post("/v2/alerts", json=first, headers=genie).status_code == 202
    again = {"message": "Checkout errors", "alias": "checkout-errors"}
    assert client.post("/v2/alerts", json=again, headers=genie).status_code == 202
    [alert] = alerts(tocsin)
    assert alert.occurrences == 2
    assert alert.annotations == {"description": "5xx ratio 7%"}
    assert alert.details["details"] == {"runbook_url": RUNBOOK, "region": "eu"}
    assert alert.labels["env"] == "prod"
    assert alert.runbook_url == RUNBOOK
    [_, repeated] = history(client, admin, alert.id)
    assert repeated["detail"]["payload"]["annotations"] == {}


def test_alertmanager_repeats_update_annotations_and_keep_the_ones_left_out(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    key = integration(client, admin, "am", "alertmanager")
    url = f"/api/v1/integrations/{key}/alertmanager"
    body = payload("alertmanager_firing.json")
    body["alerts"] = body["alerts"][:1]
    assert client.post(url, json=body).status_code == 202
    annotations = body["alerts"][0]["annotations"]
    body["alerts"][0]["annotations"] = {"summary": "Pod is still crash looping."}
    assert client.post(url, json=body).status_code == 202
    [alert] = alerts(tocsin)
    assert alert.annotations == {**annotations, "summary": "Pod is still crash looping."}
    assert alert.runbook_url == annotations["runbook_url"]
    assert alert.summary == "Pod is still crash looping."
