"""One bad write never breaks later reads or writes: NUL, lone surrogates and deep nesting.

NUL and lone surrogates become U+FFFD in every inbound format (PostgreSQL
refuses NUL, and a lone surrogate cannot be written as UTF-8, so either one
stored used to fail every later read); bodies nested deeper than 32 levels
are refused in the sender's own error format; rows stored before these rules
are served with the same replacement instead of a 500.
"""

from __future__ import annotations

import json
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.alerts.support import alerts, integration, payload, served
from tests.conftest import Caller
from tests.support.processes import free_port
from tocsin.alerts.tables import Alert, AlertEvent
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.domain.untrusted import MAX_DEPTH, TOO_DEEP
from tocsin.inbound.email import start_listener

BAD = "a\\u0000b\\ud800c"
CLEAN = "a\ufffdb\ufffdc"
JSON = {"content-type": "application/json"}


def post_raw(client: TestClient, url: str, text: str, **headers: str) -> Any:
    """Post ``text`` as it is: the JSON escapes for NUL and surrogates reach the server."""
    return client.post(url, content=text.encode(), headers={**JSON, **headers})


def nested(depth: int) -> str:
    """A JSON object nested ``depth`` levels deep."""
    return '{"a":' * (depth - 1) + '{"a":"x"' + "}" * depth


def reads_answer(client: TestClient, caller: Caller) -> None:
    listed = client.get("/api/v1/alerts", headers=caller.headers)
    assert listed.status_code == 200, listed.text
    for item in listed.json()["items"]:
        one = client.get(f"/api/v1/alerts/{item['id']}", headers=caller.headers)
        assert one.status_code == 200, one.text
        group = client.get(f"/api/v1/alert-groups/{item['group_id']}", headers=caller.headers)
        assert group.status_code == 200, group.text
    assert client.get("/api/v1/alert-groups", headers=caller.headers).status_code == 200


def with_bad(body: Any) -> str:
    """``body`` as JSON text, each ``@BAD@`` in it written as the escapes of NUL and a surrogate."""
    return json.dumps(body).replace("@BAD@", BAD)


def bad_pagerduty_event(key: str) -> dict[str, Any]:
    """A PagerDuty event with ``@BAD@`` in its key, texts, details and links."""
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "pd-@BAD@",
        "payload": {
            "summary": "@BAD@",
            "source": "@BAD@",
            "severity": "error",
            "custom_details": {"@BAD@": ["@BAD@"]},
        },
        "links": [{"href": "@BAD@"}],
    }


def test_nul_and_lone_surrogates_become_replacement_characters_in_every_json_format(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    am = integration(client, admin, "am", "alertmanager")
    body = payload("alertmanager_firing.json")
    first = body["alerts"][0]
    first["labels"]["cluster"] = first["fingerprint"] = first["annotations"]["summary"] = "@BAD@"
    answer = post_raw(client, f"/api/v1/integrations/{am}/alertmanager", with_bad(body))
    assert answer.status_code == 202, answer.text
    assert answer.json()["alerts"][0]["dedup_key"] == CLEAN

    grafana = integration(client, admin, "gr", "grafana")
    body = payload("grafana_firing.json")
    labelled = body["alerts"][0]
    body["title"] = labelled["labels"]["alertname"] = labelled["annotations"]["summary"] = "@BAD@"
    answer = post_raw(client, f"/api/v1/integrations/{grafana}/grafana", with_bad(body))
    assert answer.status_code == 202, answer.text

    pd = integration(client, admin, "pd", "pagerduty")
    answer = post_raw(client, "/v2/enqueue", with_bad(bad_pagerduty_event(pd)))
    assert answer.status_code == 202, answer.text
    assert answer.json()["dedup_key"] == f"pd-{CLEAN}"

    og = integration(client, admin, "og", "opsgenie")
    create = {
        "message": "@BAD@",
        "alias": "og-@BAD@",
        "description": "@BAD@",
        "tags": ["@BAD@"],
        "details": {"@BAD@": "@BAD@"},
    }
    genie = {"Authorization": f"GenieKey {og}"}
    assert post_raw(client, "/v2/alerts", with_bad(create), **genie).status_code == 202
    # The alias in the path carries a NUL (%00): it names the same alert.
    note = post_raw(
        client,
        "/v2/alerts/og-a%00b%EF%BF%BDc/notes?identifierType=alias",
        with_bad({"note": "@BAD@"}),
        **genie,
    )
    assert note.status_code == 202, note.text

    hook = integration(
        client,
        admin,
        "hook",
        "webhook",
        mapping={"dedup_key": "id", "summary": "text", "labels": "tags", "details": "@"},
    )
    answer = post_raw(
        client,
        f"/api/v1/integrations/{hook}/webhook",
        with_bad({"id": "hook-@BAD@", "text": "@BAD@", "tags": {"@BAD@": "@BAD@"}}),
    )
    assert answer.status_code == 202, answer.text

    stored = {alert.integration: alert for alert in alerts(tocsin) if alert.summary == CLEAN}
    assert stored["am"].dedup_key == CLEAN and stored["am"].labels["cluster"] == CLEAN
    assert stored["gr"].labels["alertname"] == CLEAN
    assert (stored["pd"].dedup_key, stored["pd"].source) == (f"pd-{CLEAN}", CLEAN)
    assert stored["pd"].details["custom_details"] == {CLEAN: [CLEAN]}
    assert stored["pd"].links == [{"href": CLEAN, "text": CLEAN}]
    assert stored["og"].dedup_key == f"og-{CLEAN}"
    assert stored["og"].labels[CLEAN] == "true"
    assert stored["og"].details["details"] == {CLEAN: CLEAN}
    assert (stored["hook"].dedup_key, stored["hook"].labels) == (f"hook-{CLEAN}", {CLEAN: CLEAN})
    history = client.get(f"/api/v1/alerts/{stored['og'].id}", headers=admin.headers).json()
    assert CLEAN in [event["text"] for event in history["events"] if event["kind"] == "note"]
    reads_answer(client, admin)


def test_bodies_that_are_not_utf8_keep_the_alert_with_replacement_characters(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    pd = integration(client, admin, "pd", "pagerduty")
    event = (
        b'{"routing_key": "' + pd.encode() + b'", "event_action": "trigger", "dedup_key": "k",'
        b' "payload": {"summary": "disk \xff full", "source": "db-1", "severity": "error"}}'
    )
    answer = client.post("/v2/enqueue", content=event, headers=JSON)
    assert answer.status_code == 202, answer.text
    assert alerts(tocsin)[0].summary == "disk \ufffd full"


def test_user_reports_refuse_and_mail_replaces_nul_and_surrogates(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    """A report is typed by a person through the API: refused naming the field (as
    every /api/v1 body is); mail has no one to answer, so it is stored with U+FFFD."""
    key = integration(client, admin, "mail", "email")
    answer = post_raw(
        client, "/api/v1/reports", f'{{"text": "{BAD}", "details": "{BAD}"}}', **admin.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][0] == "body"
    port = free_port()
    listener = start_listener(tocsin, host="127.0.0.1", port=port, domain=None, max_bytes=10_000)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail(
                "nagios@example.com",
                [f"{key}@alerts.example.com"],
                b"From: nagios@example.com\r\nSubject: disk \x00 full\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\nused \x00 99%\r\n",
            )
    finally:
        listener.stop()
    [mail] = alerts(tocsin)
    assert (mail.summary, mail.details["body"]) == ("disk \ufffd full", "used \ufffd 99%")
    reads_answer(client, admin)


def test_nesting_deeper_than_the_limit_is_refused_in_each_formats_own_shape(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    pd = integration(client, admin, "pd", "pagerduty")

    def event(depth: int) -> str:
        # The body is level 1, payload 2, custom_details 3.
        return (
            f'{{"routing_key": "{pd}", "event_action": "trigger", "payload": {{"summary": "s",'
            f' "source": "x", "severity": "info", "custom_details": {nested(depth - 2)}}}}}'
        )

    assert post_raw(client, "/v2/enqueue", event(MAX_DEPTH)).status_code == 202
    refused = post_raw(client, "/v2/enqueue", event(MAX_DEPTH + 1))
    assert refused.status_code == 400
    assert refused.json()["status"] == "invalid event"
    [error] = refused.json()["errors"]
    assert error.startswith("'payload.custom_details.a.a") and "32 levels" in error
    flood = client.post("/v2/enqueue", content=b"[" * 100_000, headers=JSON)
    assert flood.status_code == 400 and flood.json()["errors"] == [
        "'event' is nested more than 32 levels deep"
    ]

    og = integration(client, admin, "og", "opsgenie")
    deep = post_raw(
        client,
        "/v2/alerts",
        f'{{"message": "m", "extra": {nested(MAX_DEPTH)}}}',
        Authorization=f"GenieKey {og}",
    )
    assert deep.status_code == 422
    assert deep.json()["message"] == "Request body is not processable. Please check the errors."
    [(field, message)] = deep.json()["errors"].items()
    assert field.startswith("extra.a.a") and "32 levels" in message

    for kind in ("alertmanager", "grafana"):
        key = integration(client, admin, kind, kind)
        body = json.dumps(payload("alertmanager_firing.json"))[:-1] + f', "x": {nested(32)}}}'
        answer = post_raw(client, f"/api/v1/integrations/{key}/{kind}", body)
        assert answer.status_code == 422
        [detail] = answer.json()["detail"]
        assert detail["loc"][:3] == ["body", "x", "a"] and detail["type"] == "too_deep"

    hook = integration(client, admin, "hook", "webhook", mapping={"dedup_key": "a", "summary": "a"})
    answer = post_raw(client, f"/api/v1/integrations/{hook}/webhook", nested(MAX_DEPTH + 1))
    assert answer.status_code == 422 and answer.json()["detail"][0]["type"] == "too_deep"
    assert [alert.integration for alert in alerts(tocsin)] == ["pd"]


def store_damaged_alert(tocsin: Tocsin) -> int:
    """A row as an older Tocsin stored it: a lone surrogate in a label, details 300 deep."""
    deep: Any = "x"
    for _ in range(300):
        deep = {"a": deep}
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        alert = Alert(
            service="checkout",
            dedup_key="old",
            status="triggered",
            severity="error",
            summary="stored before the fix",
            integration="pd",
            source_type="pagerduty",
            source="db-1",
            labels={"cluster": "\ud800x"},
            annotations={},
            details={"custom_details": deep},
            links=[{"href": "\ud800", "text": "x"}],
            urgency="high",
            triggered_at=now,
            last_event_at=now,
        )
        session.add(alert)
        session.flush()
        session.add(
            AlertEvent(alert_id=alert.id, at=now, kind="triggered", actor="pd", detail={"x": deep})
        )
        return alert.id


@pytest.fixture
def url(tocsin: Tocsin) -> Iterator[str]:
    with served(tocsin) as address:
        yield address


def test_rows_stored_with_bad_data_are_served_with_replacement_not_500(
    tocsin: Tocsin, client: TestClient, admin: Caller, url: str
) -> None:
    alert_id = store_damaged_alert(tocsin)
    listed = client.get("/api/v1/alerts", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["labels"] == {"cluster": "\ufffdx"}
    assert item["links"] == [{"href": "\ufffd", "text": "x"}]
    level = item["details"]["custom_details"]
    for _ in range(MAX_DEPTH - 2):
        level = level["a"]
    assert level == {"a": TOO_DEEP}
    one = client.get(f"/api/v1/alerts/{alert_id}", headers=admin.headers)
    assert one.status_code == 200, one.text
    result = CliRunner().invoke(
        app, ["alert", "list", "--url", url, "--token", admin.token], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "stored before the fix" in result.output
