"""An incident's escalation follows the incident at once: resolved or closed resolves it,
acknowledged (out of triage) acknowledges it, without waiting for the clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.paging.test_subjects import declare, page_messages, setup
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def api(tocsin: Tocsin, smtp: SmtpSink, sink: HttpSink, tmp_path: Path) -> Iterator[TestClient]:
    setup(tocsin, sink, tmp_path / "config")
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def escalation(api: TestClient, caller: Caller) -> dict[str, object]:
    (found,) = api.get("/api/v1/escalations", headers=caller.headers).json()
    detail: dict[str, object] = api.get(
        f"/api/v1/escalations/{found['id']}", headers=caller.headers
    ).json()
    return detail


def move(api: TestClient, caller: Caller, reference: str, status: str, reason: str = "") -> None:
    body = {"status": status, **({"reason": reason} if reason else {})}
    answer = api.post(f"/api/v1/incidents/{reference}/status", json=body, headers=caller.headers)
    assert answer.status_code == 200, answer.text


def test_resolving_the_incident_resolves_its_escalation_at_once(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    reference = declare(api, admin)
    tocsin.engine.run_until_idle()
    assert escalation(api, admin)["state"] == "active"
    clock.advance(minutes=1)
    move(api, admin, reference, "resolved", "false alarm")
    tocsin.engine.run_until_idle()  # the clock does not move: no step comes due
    shown = escalation(api, admin)
    assert shown["state"] == "resolved"
    events = shown["events"]
    assert isinstance(events, list)
    assert events[-1]["text"] == "resolved by the incident becoming resolved"


def test_taking_the_incident_on_acknowledges_its_escalation_at_once(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink, clock: FakeClock
) -> None:
    reference = declare(api, admin)
    tocsin.engine.run_until_idle()
    clock.advance(minutes=1)
    move(api, admin, reference, "responding")
    tocsin.engine.run_until_idle()
    shown = escalation(api, admin)
    assert (shown["state"], shown["acknowledged_by"]) == ("acknowledged", admin.name)
    clock.advance(minutes=60)
    tocsin.engine.run_until_idle()
    assert len(page_messages(sink, "/b")) == 1
    # Closing it later resolves the escalation, again at once.
    move(api, admin, reference, "resolved")
    move(api, admin, reference, "closed")
    tocsin.engine.run_until_idle()
    assert escalation(api, admin)["state"] == "resolved"


def test_an_incident_raised_to_sev1_while_responding_still_pages(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink, clock: FakeClock
) -> None:
    reference = declare(api, admin, severity="SEV-3")
    clock.advance(minutes=1)
    move(api, admin, reference, "responding")
    clock.advance(minutes=1)
    raised = api.post(
        f"/api/v1/incidents/{reference}/severity",
        json={"severity": "SEV-1", "reason": "worse"},
        headers=admin.headers,
    )
    assert raised.status_code == 200, raised.text
    tocsin.engine.run_until_idle()
    assert escalation(api, admin)["state"] == "active"
    assert len(page_messages(sink, "/b")) == 1
