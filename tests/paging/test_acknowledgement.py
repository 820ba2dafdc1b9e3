"""Acknowledging a page of an alert group's escalation acknowledges the incident the group
declared, whichever way it is acknowledged, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Caller
from tests.paging.test_subjects import (
    ACK_TIMEOUT,
    ack_path,
    integration,
    only_group,
    page_messages,
    send,
    setup,
)
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def api(tocsin: Tocsin, smtp: SmtpSink, sink: HttpSink, tmp_path: Path) -> Iterator[TestClient]:
    setup(tocsin, sink, tmp_path / "config", **{"paging.yaml": ACK_TIMEOUT})
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def iso(clock: FakeClock) -> str:
    return clock.now().isoformat().replace("+00:00", "Z")


def incident_of(api: TestClient, caller: Caller, group: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = api.get(
        f"/api/v1/incidents/{group['incident_id']}", headers=caller.headers
    ).json()
    return found


def status_changes(api: TestClient, caller: Caller, group: dict[str, Any]) -> list[str]:
    timeline = api.get(
        f"/api/v1/incidents/{group['incident_id']}/timeline", headers=caller.headers
    ).json()
    return [f"{e['author']}: {e['text']}" for e in timeline if e["kind"] == "status_change"]


def acknowledge(
    how: str,
    api: TestClient,
    responder: Caller,
    sink: HttpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """Acknowledge the only page ``how`` (link, api or cli); returns who acknowledged."""
    if how == "link":
        assert api.post(ack_path(page_messages(sink, "/b")[-1])).status_code == 200
        return "engineer-b"
    (page,) = api.get("/api/v1/pages", headers=responder.headers).json()
    if how == "api":
        answer = api.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
        assert answer.status_code == 200, answer.text
        return responder.name

    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        return api.request(method, url.removeprefix("http://tocsin"), **kwargs)

    monkeypatch.setattr(httpx, "request", request)
    monkeypatch.setenv("TOCSIN_URL", "http://tocsin")
    monkeypatch.setenv("TOCSIN_TOKEN", responder.token)
    result = CliRunner().invoke(app, ["ack", str(page["id"])])
    assert result.exit_code == 0, result.output
    return responder.name


@pytest.mark.parametrize("how", ["link", "api", "cli"])
def test_acknowledging_the_groups_page_acknowledges_the_incident_it_declared(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    key = integration(api, admin, "web")
    send(api, key, "trigger", "db-1", severity="critical")
    tocsin.engine.run_until_idle()
    group = only_group(api, admin)
    assert incident_of(api, admin, group)["status"] == "triage"
    (escalation,) = api.get("/api/v1/escalations", headers=admin.headers).json()
    assert escalation["subject_type"] == "alert_group"
    clock.advance(minutes=4)
    who = acknowledge(how, api, responder, sink, monkeypatch)
    incident = incident_of(api, admin, group)
    assert (incident["status"], incident["acknowledged_at"]) == ("responding", iso(clock))
    assert status_changes(api, admin, group) == [
        f"{who}: Status triage → responding (respond): {who} acknowledged the page "
        f"(escalation {escalation['id']})"
    ]


def test_the_incident_is_acknowledged_once_however_often_its_group_is(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    clock: FakeClock,
) -> None:
    key = integration(api, admin, "web")
    send(api, key, "trigger", "db-1", severity="critical")
    tocsin.engine.run_until_idle()
    first = page_messages(sink, "/b")[0]
    clock.advance(minutes=2)
    assert api.post(ack_path(first)).status_code == 200
    group = only_group(api, admin)
    acknowledged_at = incident_of(api, admin, group)["acknowledged_at"]
    # The acknowledgement timeout pages again; acknowledging that page changes nothing more.
    clock.advance(minutes=30)
    tocsin.engine.run_until_idle()
    second = page_messages(sink, "/b")[-1]
    assert second != first
    assert api.post(ack_path(second)).status_code == 200
    incident = incident_of(api, admin, group)
    assert (incident["status"], incident["acknowledged_at"]) == ("responding", acknowledged_at)
    assert len(status_changes(api, admin, group)) == 1
