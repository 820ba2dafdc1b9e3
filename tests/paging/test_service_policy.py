"""A service pages with its own escalation policy, else its team's, else the configured default:
for its alert groups and for the incidents declared on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import Caller
from tests.paging.conftest import configure, people_yaml
from tests.paging.test_subjects import integration, only_group, page_messages, send
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.settings import Settings
from tocsin.paging import simulate
from tocsin.paging.directory import Directory
from tocsin.paging.tables import EscalationRun

#: ``teamed`` names no policy but its team (platform: on-call-schedule) does; ``loner`` has
#: neither and falls to the default, which pages engineer-b.
SERVICES = """
services:
  teamed: {team: platform}
  loner: {}
paging:
  default_escalation_policy: b-only
"""


@pytest.fixture
def api(tocsin: Tocsin, smtp: SmtpSink, sink: HttpSink, tmp_path: Path) -> Iterator[TestClient]:
    files = {"people.yaml": people_yaml(sink), "services.yaml": SERVICES}
    configure(tocsin, tmp_path / "config", files)
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def escalations(tocsin: Tocsin) -> list[tuple[str, str, str | None]]:
    with tocsin.database.sessions() as session:
        rows = session.scalars(select(EscalationRun).order_by(EscalationRun.id))
        return [(run.subject_type, run.policy_name, run.service) for run in rows]


def test_a_critical_alert_on_a_service_without_its_own_policy_pages_its_teams(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink
) -> None:
    key = integration(api, admin, "teamed")
    send(api, key, "trigger", "db-1", severity="critical")
    tocsin.engine.run_until_idle()
    group = only_group(api, admin)
    assert group["escalation_policy"] == "on-call-schedule"
    assert escalations(tocsin) == [("alert_group", "on-call-schedule", "teamed")]
    (page,) = api.get("/api/v1/pages", headers=admin.headers).json()
    assert page["state"] == "open", "the schedule's primary was paged"
    timeline = api.get(
        f"/api/v1/incidents/{group['incident_id']}/timeline", headers=admin.headers
    ).json()
    texts = [entry["text"] for entry in timeline]
    assert not [text for text in texts if "nobody was paged" in text], texts
    assert any(text.startswith("Paging: not paged separately") for text in texts)


def test_an_incident_on_a_service_without_any_policy_pages_the_default(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink
) -> None:
    body = {"title": "Lonely outage", "severity": "SEV-1", "services": ["loner"]}
    answer = api.post("/api/v1/incidents", json=body, headers=admin.headers)
    assert answer.status_code == 201, answer.text
    tocsin.engine.run_until_idle()
    assert escalations(tocsin) == [("incident", "b-only", "loner")]
    assert len(page_messages(sink, "/b")) == 1


def test_alerts_on_a_service_without_any_policy_page_the_default(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink
) -> None:
    key = integration(api, admin, "loner")
    send(api, key, "trigger", "db-1", severity="error")
    tocsin.engine.run_until_idle()
    assert only_group(api, admin)["escalation_policy"] == "b-only"
    assert len(page_messages(sink, "/b")) == 1


def test_the_dry_run_of_a_service_uses_the_policy_it_pages_with(
    tocsin: Tocsin, api: TestClient, settings: Settings
) -> None:
    with tocsin.database.sessions() as session:
        directory = Directory(session)
        assert directory.service_policy("teamed") == "on-call-schedule"
        assert directory.service_policy("loner") == "b-only"
        assert directory.service_policy("undefined") is None
        shown = simulate.simulate(session, None, tocsin.clock.now(), service="teamed")
    assert (shown.policy, shown.team) == ("on-call-schedule", "platform")
    database = ["--data-dir", str(settings.data_dir), "--database-url", settings.database_url]
    result = CliRunner().invoke(app, ["escalation", "simulate", "--service", "loner", *database])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Escalation policy b-only, if an alert fired")
    assert "user engineer-b: engineer-b (webhook" in result.output
