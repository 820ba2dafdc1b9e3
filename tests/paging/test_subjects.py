"""Escalations and their subjects: acknowledging a page acknowledges the alert group or incident,
and an alert group's history shows its escalation.

Alerts come in through the PagerDuty Events API v2 endpoint, so the alert group, its paging job
and its escalation are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import Caller
from tests.paging.conftest import configure, people_yaml
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.alerts.handover import OpenedGroup
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock
from tocsin.paging import jobs as paging_jobs
from tocsin.paging import statements, triggers
from tocsin.paging.tables import EscalationRun, Page

#: ``web`` pages engineer-b (by webhook); ``gap`` first tries a lunch-time layer nobody holds at 9.
SERVICES = """
services:
  web: {team: platform, escalation_policy: b-only}
  gap: {team: platform, escalation_policy: gap-then-b}
alert_policies:
  "*":
    group_by: [component]
    group_window: 5m
"""
ACK_TIMEOUT = """
paging:
  acknowledgement_timeout_minutes: 30
"""


def setup(tocsin: Tocsin, sink: HttpSink, directory: Path, **extra: str) -> None:
    files = {"people.yaml": people_yaml(sink), "services.yaml": SERVICES, **extra}
    configure(tocsin, directory, files)


@pytest.fixture
def api(tocsin: Tocsin, smtp: SmtpSink) -> Iterator[TestClient]:
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


@pytest.fixture
def key(tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink, tmp_path: Path) -> str:
    """A PagerDuty integration key for the ``web`` service."""
    setup(tocsin, sink, tmp_path / "config")
    return integration(api, admin, "web")


def integration(api: TestClient, admin: Caller, service: str) -> str:
    response = api.post(
        "/api/v1/integrations",
        json={"name": f"pd-{service}", "service": service, "type": "pagerduty"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    value: str = response.json()["key"]
    return value


def send(
    api: TestClient, key: str, action: str, dedup: str, severity: str = "warning"
) -> dict[str, Any]:
    event: dict[str, Any] = {"routing_key": key, "event_action": action, "dedup_key": dedup}
    if action == "trigger":
        event["payload"] = {
            "summary": f"{dedup} broke",
            "source": "host",
            "severity": severity,
            "component": "db",
        }
    answer = api.post("/v2/enqueue", json=event)
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    return body


def only_group(api: TestClient, caller: Caller) -> dict[str, Any]:
    (item,) = api.get("/api/v1/alert-groups", headers=caller.headers).json()["items"]
    detail: dict[str, Any] = api.get(
        f"/api/v1/alert-groups/{item['id']}", headers=caller.headers
    ).json()
    return detail


def escalation_history(group: dict[str, Any]) -> list[str]:
    """The escalation events of a group's history, by escalation event kind."""
    return [e["detail"]["escalation"] for e in group["events"] if e["kind"] == "escalation"]


def page_messages(sink: HttpSink, path: str) -> list[dict[str, Any]]:
    return [r.json() for r in sink.received(path) if r.json()["event"] == "page"]


def ack_path(message: dict[str, Any]) -> str:
    url: str = message["pages"][0]["ack_url"]
    return url.split("tocsin.example.com", 1)[1]


def run_count(tocsin: Tocsin) -> int:
    with tocsin.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EscalationRun)) or 0)


def declare(api: TestClient, caller: Caller, severity: str = "SEV-1") -> str:
    body = {"title": "Checkout down", "severity": severity, "services": ["web"]}
    response = api.post("/api/v1/incidents", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


def test_the_acknowledge_link_acknowledges_the_alert_group_and_its_alerts(
    tocsin: Tocsin,
    api: TestClient,
    key: str,
    admin: Caller,
    sink: HttpSink,
    clock: FakeClock,
) -> None:
    send(api, key, "trigger", "db-1")
    send(api, key, "trigger", "db-2")
    tocsin.engine.run_until_idle()
    (message,) = page_messages(sink, "/b")
    clock.advance(minutes=2)
    assert api.post(ack_path(message)).status_code == 200
    group = only_group(api, admin)
    assert (group["acknowledged_by"], group["acknowledged_at"]) == (
        "engineer-b",
        clock.now().isoformat().replace("+00:00", "Z"),
    )
    assert [(a["status"], a["acknowledged_by"]) for a in group["alerts"]] == [
        ("acknowledged", "engineer-b"),
        ("acknowledged", "engineer-b"),
    ]
    (escalation,) = api.get("/api/v1/escalations", headers=admin.headers).json()
    acknowledged = [e for e in group["events"] if e["kind"] == "acknowledged"]
    assert [(e["alert_id"], e["actor"], e["text"]) for e in acknowledged] == [
        (alert["id"], "engineer-b", f"Acknowledged through escalation {escalation['id']}")
        for alert in group["alerts"]
    ]
    for alert in group["alerts"]:
        detail = api.get(f"/api/v1/alerts/{alert['id']}", headers=admin.headers).json()
        assert [e["kind"] for e in detail["events"]][-1] == "acknowledged"
    # A warning is low urgency: it stops after the first step that reached somebody.
    assert escalation_history(group) == ["started", "step", "paged", "finished", "acknowledged"]
    clock.advance(minutes=30)
    tocsin.engine.run_until_idle()
    assert len(page_messages(sink, "/b")) == 1, "acknowledged: nothing more is paged"

    send(api, key, "resolve", "db-1")
    send(api, key, "resolve", "db-2")
    assert only_group(api, admin)["outcome"] == "acknowledged"
    (accuracy,) = api.get("/api/v1/alert-accuracy", headers=admin.headers).json()
    assert (accuracy["acknowledged"], accuracy["noise"]) == (1, 0)


def test_acknowledging_by_api_leaves_resolved_alerts_alone_and_does_not_loop(
    tocsin: Tocsin, api: TestClient, key: str, responder: Caller, sink: HttpSink, clock: FakeClock
) -> None:
    send(api, key, "trigger", "db-1")
    send(api, key, "trigger", "db-2")
    send(api, key, "resolve", "db-2")
    tocsin.engine.run_until_idle()
    (page,) = api.get("/api/v1/pages", headers=responder.headers).json()
    answer = api.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
    assert answer.status_code == 200, answer.text
    group = only_group(api, responder)
    assert group["acknowledged_by"] == "rex"
    by_key = {a["dedup_key"]: (a["status"], a["acknowledged_by"]) for a in group["alerts"]}
    assert by_key == {"db-1": ("acknowledged", "rex"), "db-2": ("resolved", None)}
    acknowledged = [e["alert_id"] for e in group["events"] if e["kind"] == "acknowledged"]
    assert len(acknowledged) == 1
    # The step and delivery jobs that look at the (now acknowledged) group change nothing more.
    clock.advance(minutes=10)
    tocsin.engine.run_until_idle()
    group = only_group(api, responder)
    assert escalation_history(group).count("acknowledged") == 1
    again = api.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
    assert again.status_code == 409
    assert len(page_messages(sink, "/b")) == 1


def test_tocsin_ack_acknowledges_the_alert_group(
    tocsin: Tocsin,
    api: TestClient,
    key: str,
    responder: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    send(api, key, "trigger", "db-1")
    tocsin.engine.run_until_idle()
    (page,) = api.get("/api/v1/pages", headers=responder.headers).json()

    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        return api.request(method, url.removeprefix("http://tocsin"), **kwargs)

    monkeypatch.setattr(httpx, "request", request)
    monkeypatch.setenv("TOCSIN_URL", "http://tocsin")
    monkeypatch.setenv("TOCSIN_TOKEN", responder.token)
    result = CliRunner().invoke(app, ["ack", str(page["id"])])
    assert result.exit_code == 0, result.output
    assert "acknowledged by rex" in result.output
    group = only_group(api, responder)
    assert group["acknowledged_by"] == "rex"
    assert [a["status"] for a in group["alerts"]] == ["acknowledged"]


def test_the_acknowledgement_timeout_pages_again_although_the_group_stays_acknowledged(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    sink: HttpSink,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    setup(tocsin, sink, tmp_path / "config", **{"paging.yaml": ACK_TIMEOUT})
    key = integration(api, admin, "web")
    send(api, key, "trigger", "db-1")
    tocsin.engine.run_until_idle()
    (first,) = page_messages(sink, "/b")
    assert api.post(ack_path(first)).status_code == 200
    acknowledged_at = only_group(api, admin)["acknowledged_at"]
    clock.advance(minutes=30)
    tocsin.engine.run_until_idle()
    first_again, second = page_messages(sink, "/b")
    assert first_again == first
    (escalation,) = api.get("/api/v1/escalations", headers=admin.headers).json()
    assert escalation["state"] == "active", "the group's earlier acknowledgement does not stop it"
    group = only_group(api, admin)
    assert group["acknowledged_at"] == acknowledged_at, "the first acknowledgement is kept"
    assert escalation_history(group) == [
        "started",
        "step",
        "paged",
        "finished",
        "acknowledged",
        "retriggered",
        "step",
        "paged",
        "finished",
    ]
    assert api.post(ack_path(second)).status_code == 200
    assert escalation_history(only_group(api, admin))[-1] == "acknowledged"


def test_the_group_history_shows_steps_that_found_nobody_and_the_resolution(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    tmp_path: Path,
) -> None:
    setup(tocsin, sink, tmp_path / "config")
    key = integration(api, admin, "gap")
    send(api, key, "trigger", "db-1")
    tocsin.engine.run_until_idle()
    (escalation,) = api.get("/api/v1/escalations", headers=admin.headers).json()
    run_events = api.get(f"/api/v1/escalations/{escalation['id']}", headers=admin.headers).json()
    assert "notified" in [e["kind"] for e in run_events["events"]]
    resolved = api.post(
        f"/api/v1/escalations/{escalation['id']}/resolve", headers=responder.headers
    )
    assert resolved.status_code == 200, resolved.text
    group = only_group(api, admin)
    assert escalation_history(group) == [
        "started",
        "nobody",
        "step",
        "paged",
        "finished",
        "resolved",
    ]
    history = [e for e in group["events"] if e["kind"] == "escalation"]
    nobody = history[1]
    assert nobody["text"] == (
        f"Escalation {escalation['id']}: step 1: schedule lunch noon: "
        "nobody on call in layer noon of schedule lunch; moving on"
    )
    assert nobody["detail"]["escalation_run"] == str(escalation["id"])
    assert (history[-1]["actor"], history[-1]["text"]) == (
        "rex",
        f"Escalation {escalation['id']}: resolved by rex",
    )
    assert "notified" not in escalation_history(group), "delivery details stay on the escalation"


def test_an_alert_group_and_the_incident_it_declared_page_once(
    tocsin: Tocsin, api: TestClient, key: str, admin: Caller, sink: HttpSink, clock: FakeClock
) -> None:
    send(api, key, "trigger", "db-1", severity="critical")
    group = only_group(api, admin)
    assert group["incident_id"] is not None, "critical alerts declare an incident (SEV-2)"
    tocsin.engine.run_until_idle()
    clock.advance(minutes=10)
    tocsin.engine.run_until_idle()
    assert run_count(tocsin) == 1
    assert len(page_messages(sink, "/b")) == 1
    (escalation,) = api.get("/api/v1/escalations", headers=admin.headers).json()
    assert escalation["subject_type"] == "alert_group", "the group's job was queued first"
    timeline = api.get(
        f"/api/v1/incidents/{group['incident_id']}/timeline", headers=admin.headers
    ).json()
    assert f"Paging: not paged separately; alert group {group['id']} is already paging " + (
        f"through escalation {escalation['id']}"
    ) in [e["text"] for e in timeline]


def test_an_alert_group_whose_incident_already_pages_is_not_paged_again(
    tocsin: Tocsin, api: TestClient, key: str, admin: Caller, sink: HttpSink
) -> None:
    reference = declare(api, admin)
    tocsin.engine.run_until_idle()
    (escalation,) = api.get("/api/v1/escalations", headers=admin.headers).json()
    send(api, key, "trigger", "db-1")
    group = only_group(api, admin)
    now = tocsin.clock.now()
    opened = OpenedGroup(
        group_id=group["id"],
        service="web",
        title="db-1 broke",
        escalation_policy="b-only",
        urgency="high",
        incident_id=int(reference.removeprefix("INC-")),
        opened_at=now,
    )
    with tocsin.database.transaction() as session:
        triggers.page_for_alert_group(session, opened, now)
        assert statements.open_run(session, "alert_group", str(group["id"])) is None
    (note,) = [e for e in only_group(api, admin)["events"] if e["kind"] == "escalation"]
    assert note["text"] == (
        f"Not paged separately: its incident is already paging through escalation "
        f"{escalation['id']}"
    )
    assert len(page_messages(sink, "/b")) == 1


def test_acknowledging_an_incidents_page_moves_it_out_of_triage(
    tocsin: Tocsin,
    api: TestClient,
    key: str,
    admin: Caller,
    responder: Caller,
    clock: FakeClock,
) -> None:
    reference = declare(api, admin)
    tocsin.engine.run_until_idle()
    (escalation,) = api.get("/api/v1/escalations", headers=admin.headers).json()
    assert escalation["subject_type"] == "incident"
    clock.advance(minutes=3)
    answer = api.post(
        f"/api/v1/escalations/{escalation['id']}/acknowledge", headers=responder.headers
    )
    assert answer.status_code == 200, answer.text
    incident = api.get(f"/api/v1/incidents/{reference}", headers=admin.headers).json()
    assert incident["status"] == "responding"
    assert incident["acknowledged_at"] == clock.now().isoformat().replace("+00:00", "Z")
    timeline = api.get(f"/api/v1/incidents/{reference}/timeline", headers=admin.headers).json()
    moved = [e for e in timeline if e["kind"] == "status_change"]
    assert [(e["author"], e["text"]) for e in moved] == [
        (
            "rex",
            f"Status triage → responding (respond): rex acknowledged the page "
            f"(escalation {escalation['id']})",
        )
    ]
    assert "Paging: acknowledged by rex" in [e["text"] for e in timeline]


def test_an_incident_past_triage_only_records_the_acknowledgement(
    tocsin: Tocsin,
    api: TestClient,
    key: str,
    admin: Caller,
    responder: Caller,
    clock: FakeClock,
) -> None:
    reference = declare(api, admin)
    tocsin.engine.run_until_idle()
    responding = api.post(
        f"/api/v1/incidents/{reference}/status",
        json={"status": "responding"},
        headers=admin.headers,
    )
    assert responding.status_code == 200, responding.text
    taken_at = api.get(f"/api/v1/incidents/{reference}", headers=admin.headers).json()
    clock.advance(minutes=3)
    (page,) = api.get("/api/v1/pages", headers=responder.headers).json()
    answer = api.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
    assert answer.status_code == 200, answer.text
    incident = api.get(f"/api/v1/incidents/{reference}", headers=admin.headers).json()
    assert (incident["status"], incident["acknowledged_at"]) == (
        "responding",
        taken_at["acknowledged_at"],
    )
    timeline = api.get(f"/api/v1/incidents/{reference}/timeline", headers=admin.headers).json()
    assert len([e for e in timeline if e["kind"] == "status_change"]) == 1
    assert "Paging: acknowledged by rex" in [e["text"] for e in timeline]


def test_the_job_that_hands_a_group_to_paging_takes_its_first_step_and_pages_once(
    tocsin: Tocsin, api: TestClient, key: str, admin: Caller, sink: HttpSink
) -> None:
    send(api, key, "trigger", "db-1", severity="error")
    tocsin.engine.run_until_idle()
    assert len(page_messages(sink, "/b")) == 1
    with tocsin.database.sessions() as session:
        steps = session.execute(
            select(Job.payload, Job.state).where(Job.kind == paging_jobs.STEP.name)
        ).all()
    # The first step (index 0) was taken by the hand-over job, not by a step job of its own.
    assert 0 not in [payload["index"] for payload, _ in steps]
    assert escalation_history(only_group(api, admin))[:3] == ["started", "step", "paged"]
    send(api, key, "trigger", "db-1", severity="error")
    tocsin.engine.run_until_idle()
    assert len(page_messages(sink, "/b")) == 1


def test_a_group_resolved_before_it_is_handed_to_paging_pages_nobody(
    tocsin: Tocsin, api: TestClient, key: str, admin: Caller, sink: HttpSink
) -> None:
    send(api, key, "trigger", "db-1", severity="error")
    send(api, key, "resolve", "db-1")
    tocsin.engine.run_until_idle()
    assert page_messages(sink, "/b") == []
    with tocsin.database.sessions() as session:
        run = session.scalar(select(EscalationRun))
    assert run is not None and run.state == "resolved"


def escalation_state(api: TestClient, caller: Caller) -> str:
    (escalation,) = api.get("/api/v1/escalations", headers=caller.headers).json()
    state: str = escalation["state"]
    return state


def test_acknowledging_the_group_through_the_alerts_api_acknowledges_its_escalation_at_once(
    tocsin: Tocsin, api: TestClient, key: str, admin: Caller, responder: Caller
) -> None:
    send(api, key, "trigger", "db-1", severity="error")
    tocsin.engine.run_until_idle()
    assert escalation_state(api, admin) == "active"
    group = only_group(api, admin)
    answer = api.post(f"/api/v1/alert-groups/{group['id']}/acknowledge", headers=responder.headers)
    assert answer.status_code == 200, answer.text
    # No clock advance: the escalation does not wait for its next step to notice.
    tocsin.engine.run_until_idle()
    assert escalation_state(api, admin) == "acknowledged"
    assert escalation_history(only_group(api, admin)).count("acknowledged") == 1


def test_an_acknowledged_escalation_resolves_when_its_alerts_resolve_at_the_source(
    tocsin: Tocsin, api: TestClient, key: str, admin: Caller, responder: Caller
) -> None:
    send(api, key, "trigger", "db-1", severity="error")
    tocsin.engine.run_until_idle()
    (page,) = api.get("/api/v1/pages", headers=responder.headers).json()
    answer = api.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
    assert answer.status_code == 200, answer.text
    assert escalation_state(api, admin) == "acknowledged"
    send(api, key, "resolve", "db-1")
    tocsin.engine.run_until_idle()
    assert escalation_state(api, admin) == "resolved"
    assert escalation_history(only_group(api, admin))[-1] == "resolved"


def test_a_page_records_whether_it_came_after_hours_where_the_person_lived(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink, tmp_path: Path
) -> None:
    """Monday 09:00 UTC is 01:00 in Los Angeles: engineer-b's page came after hours, and
    stays so for on-call load after engineer-b moves to Paris (10:00 there)."""
    people = people_yaml(sink).replace(
        "  engineer-b:\n    email: b@example.com\n",
        "  engineer-b:\n    email: b@example.com\n    time_zone: America/Los_Angeles\n",
    )
    setup(tocsin, sink, tmp_path / "config", **{"people.yaml": people})
    send(api, integration(api, admin, "web"), "trigger", "db-1")
    tocsin.engine.run_until_idle()
    with tocsin.database.sessions() as session:
        (page,) = session.scalars(select(Page)).all()
        assert (page.user_name, page.after_hours) == ("engineer-b", True)
    moved = people.replace("America/Los_Angeles", "Europe/Paris")
    setup(tocsin, sink, tmp_path / "config", **{"people.yaml": moved})
    load = api.get("/api/v1/metrics/oncall", headers=admin.headers)
    assert load.status_code == 200, load.text
    (person,) = load.json()["people"]
    assert (person["person"], person["time_zone"], person["pages"], person["after_hours"]) == (
        "engineer-b",
        "Europe/Paris",
        1,
        1,
    )
