"""What starts paging: incidents formally declared (and their stakeholders), alert groups opened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tests.paging.conftest import configure, people_yaml
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.alerts.handover import OpenedGroup
from tocsin.alerts.tables import AlertGroup
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock
from tocsin.paging import statements, triggers
from tocsin.paging.tables import EscalationRun

STAKEHOLDERS = """
paging:
  stakeholders:
    vp_of_engineering: [root]
"""


@pytest.fixture
def api(tocsin: Tocsin, sink: HttpSink, smtp: SmtpSink, tmp_path: Path) -> Iterator[TestClient]:
    configure(
        tocsin,
        tmp_path / "config",
        {"people.yaml": people_yaml(sink), "paging.yaml": STAKEHOLDERS},
    )
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def open_group(tocsin: Tocsin, service: str, title: str) -> int:
    """An open alert group, as ingest leaves one (escalation events go on its history)."""
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        group = AlertGroup(
            service=service,
            group_key=title,
            status="open",
            title=title,
            rule="test",
            urgency="low",
            opened_at=now,
            last_alert_at=now,
            updated_at=now,
        )
        session.add(group)
        session.flush()
        return group.id


def declare(api: TestClient, caller: Caller, severity: str) -> dict[str, object]:
    response = api.post(
        "/api/v1/incidents",
        json={"title": "Checkout down", "severity": severity, "services": ["api"]},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def timeline(api: TestClient, caller: Caller, reference: str) -> list[str]:
    entries = api.get(f"/api/v1/incidents/{reference}/timeline", headers=caller.headers).json()
    return [entry["text"] for entry in entries]


def test_a_sev1_pages_the_services_policy_and_tells_the_vp_once(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    sink: HttpSink,
    smtp: SmtpSink,
    clock: FakeClock,
) -> None:
    incident = declare(api, admin, "SEV-1")
    tocsin.engine.run_until_idle()
    with tocsin.database.sessions() as session:
        run = session.scalar(select(EscalationRun))
    assert run is not None and run.subject_type == "incident" and run.urgency == "high"
    assert run.policy_name == "on-call-schedule" and run.team == "platform"
    (notice,) = smtp.to("root@example.com")
    assert "declared at SEV-1" in notice.subject and "not being paged" in notice.body
    reference = str(incident["reference"])
    texts = timeline(api, admin, reference)
    assert any(
        t.startswith("Stakeholders notified for SEV-1: vp of engineering: root") for t in texts
    )
    assert any(t.startswith("Paging: step 1") for t in texts)
    resolved = api.post(
        f"/api/v1/incidents/{reference}/status",
        json={"status": "resolved", "reason": "fixed"},
        headers=admin.headers,
    )
    assert resolved.status_code == 200, resolved.text
    hooks, emails = len(sink.received()), len(smtp.emails)
    clock.advance(minutes=30)
    tocsin.engine.run_until_idle()
    with tocsin.database.sessions() as session:
        state = session.scalar(select(EscalationRun.state))
    assert state == "resolved", "resolving the incident stops its escalation"
    assert len(sink.received()) == hooks
    assert [email.subject for email in smtp.emails[emails:]] == [
        f"[Tocsin] {reference} (SEV-1) resolved, final report: Checkout down"
    ], "no page: only the VP's final internal report (docs/communications.md)"
    notices = [e for e in smtp.to("root@example.com") if "declared at" in e.subject]
    assert len(notices) == 1, "stakeholders are told once, not paged"


def test_a_sev3_is_not_formally_declared_so_nobody_is_paged(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink
) -> None:
    declare(api, admin, "SEV-3")
    tocsin.engine.run_until_idle()
    with tocsin.database.sessions() as session:
        assert session.scalar(select(EscalationRun)) is None
    # The team lead is SEV-3's audience: told (see test_stakeholders), not paged.
    assert [r.json()["event"] for r in sink.received()] == ["stakeholder"]


def test_an_opened_alert_group_escalates_with_its_frozen_policy_and_urgency(
    tocsin: Tocsin, api: TestClient, clock: FakeClock, sink: HttpSink
) -> None:
    now = clock.now()
    group_id = open_group(tocsin, "api", "HighErrorRate")
    opened = OpenedGroup(
        group_id=group_id,
        service="api",
        title="HighErrorRate",
        escalation_policy="b-only",
        urgency="low",
        incident_id=None,
        opened_at=now,
    )
    with tocsin.database.transaction() as session:
        triggers.page_for_alert_group(session, opened, now)
        triggers.page_for_alert_group(session, opened, now)
    tocsin.engine.run_until_idle()
    assert len(sink.received("/b")) == 1
    with tocsin.database.sessions() as session:
        run = session.scalar(select(EscalationRun))
    assert run is not None
    assert (run.subject_type, run.subject_key, run.urgency) == ("alert_group", str(group_id), "low")


def test_an_alert_group_without_a_policy_pages_nobody(tocsin: Tocsin, api: TestClient) -> None:
    now = tocsin.clock.now()
    opened = OpenedGroup(41, "api", "x", None, "high", None, now)
    with tocsin.database.transaction() as session:
        triggers.page_for_alert_group(session, opened, now)
        assert statements.open_run(session, "alert_group", "41") is None
