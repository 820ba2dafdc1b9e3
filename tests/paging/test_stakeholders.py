"""A level's escalation audience is told once when an incident is declared at or raised to it."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Caller
from tests.paging.conftest import configure, people_yaml
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.engine.tables import Job
from tocsin.incidents import stakeholders
from tocsin.kernel.clock import FakeClock
from tocsin.paging import notices
from tocsin.paging.tables import EscalationRun

#: SEV-1's VP is root (by email), SEV-2's manager is engineer-c (by email); SEV-3's team
#: lead is platform's ``lead`` (by webhook) or, for the search service, ``seeker``.
AUDIENCES = """
paging:
  stakeholders:
    vp_of_engineering: [root]
    engineering_manager: [engineer-c]
"""
SEARCH_TEAM = """
users:
  seeker:
    contact_methods:
      - {type: webhook, url: "SINK/seeker"}
teams:
  search:
    members: [seeker]
    roles: {team_lead: seeker}
services:
  search: {team: search}
"""


@pytest.fixture
def api(tocsin: Tocsin, sink: HttpSink, smtp: SmtpSink, tmp_path: Path) -> Iterator[TestClient]:
    configure(
        tocsin,
        tmp_path / "config",
        {
            "people.yaml": people_yaml(sink),
            "paging.yaml": AUDIENCES,
            "search.yaml": SEARCH_TEAM.replace("SINK/", sink.url("/")),
        },
    )
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def declare(api: TestClient, caller: Caller, severity: str, **fields: Any) -> str:
    body = {"title": "Checkout down", "severity": severity, "services": ["api"], **fields}
    response = api.post("/api/v1/incidents", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


def set_severity(api: TestClient, caller: Caller, reference: str, severity: str) -> None:
    response = api.post(
        f"/api/v1/incidents/{reference}/severity",
        json={"severity": severity, "reason": "reassessed"},
        headers=caller.headers,
    )
    assert response.status_code == 200, response.text


def told(api: TestClient, caller: Caller, reference: str) -> list[str]:
    entries = api.get(f"/api/v1/incidents/{reference}/timeline", headers=caller.headers).json()
    return [e["text"] for e in entries if e["details"].get("paging") == "stakeholders"]


def notices_to_lead(sink: HttpSink, path: str = "/lead") -> list[dict[str, Any]]:
    return [r.json() for r in sink.received(path) if r.json()["event"] == "stakeholder"]


def notices_by_email(smtp: SmtpSink, address: str) -> list[str]:
    """Subjects of the stakeholder notices (not pages) ``address`` received."""
    return [e.subject for e in smtp.to(address) if "you are not being paged" in e.body]


def runs(tocsin: Tocsin) -> int:
    with tocsin.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EscalationRun)) or 0)


def level_jobs(tocsin: Tocsin) -> list[Job]:
    with tocsin.database.sessions() as session:
        query = (
            select(Job).where(Job.kind == stakeholders.INCIDENT_STAKEHOLDERS.name).order_by(Job.id)
        )
        return list(session.scalars(query))


def test_a_sev3_tells_the_team_lead_once_and_pages_nobody(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink, clock: FakeClock
) -> None:
    reference = declare(api, admin, "SEV-3")
    assert sink.received() == [], "nothing is sent inside the request"
    tocsin.engine.run_until_idle()
    (notice,) = notices_to_lead(sink)
    assert notice["subject"] == f"[Tocsin] {reference} declared at SEV-3: Checkout down"
    assert "you are not being paged" in notice["text"]
    assert told(api, admin, reference) == ["Stakeholders notified for SEV-3: team lead: lead"]
    assert runs(tocsin) == 0, "a notice is not a page: no escalation"
    clock.advance(hours=2)
    tocsin.engine.run_until_idle()
    told_lead = [r.json()["event"] for r in sink.received("/lead")]
    assert told_lead == ["stakeholder", "internal_report"], (
        "the notice once; then SEV-3's two-hourly internal report (docs/communications.md)"
    )
    assert sink.received("/seeker") == [], "only the lead of the affected service's team"


@pytest.mark.parametrize(
    ("level", "told_text", "email"),
    [
        ("SEV-1", "Stakeholders notified for SEV-1: vp of engineering: root", "root@example.com"),
        (
            "SEV-2",
            "Stakeholders notified for SEV-2: engineering manager: engineer-c",
            "c@example.com",
        ),
    ],
)
def test_the_two_most_severe_levels_tell_their_audience_exactly_once(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    smtp: SmtpSink,
    sink: HttpSink,
    level: str,
    told_text: str,
    email: str,
) -> None:
    reference = declare(api, admin, level)
    tocsin.engine.run_until_idle()
    assert notices_by_email(smtp, email) == [
        f"[Tocsin] {reference} declared at {level}: Checkout down"
    ]
    assert told(api, admin, reference) == [told_text]
    assert notices_to_lead(sink) == [], "the team lead is SEV-3's audience, not this level's"
    entries = api.get(f"/api/v1/incidents/{reference}/timeline", headers=admin.headers).json()
    (formal,) = [e for e in entries if e["details"].get("formal") == "true"]
    assert formal["details"]["hooks"] == "page the on-call", "formal declaration does not notify"


def test_a_level_without_an_audience_queues_nothing(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink, smtp: SmtpSink
) -> None:
    reference = declare(api, admin, "SEV-4")
    tocsin.engine.run_until_idle()
    assert level_jobs(tocsin) == []
    assert told(api, admin, reference) == []
    assert sink.received() == [] and smtp.emails == [], "SEV-4 neither pages nor notifies"


def test_raising_tells_each_new_level_once_and_lowering_tells_nobody(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink, smtp: SmtpSink
) -> None:
    reference = declare(api, admin, "SEV-4")
    set_severity(api, admin, reference, "SEV-3")
    tocsin.engine.run_until_idle()
    (notice,) = notices_to_lead(sink)
    assert notice["subject"] == f"[Tocsin] {reference} raised to SEV-3: Checkout down"
    for level in ("SEV-4", "SEV-3", "SEV-2", "SEV-3", "SEV-2"):
        set_severity(api, admin, reference, level)
    tocsin.engine.run_until_idle()
    assert len(notices_to_lead(sink)) == 1, "back at SEV-3: the lead was told already"
    assert notices_by_email(smtp, "c@example.com") == [
        f"[Tocsin] {reference} raised to SEV-2: Checkout down"
    ]
    set_severity(api, admin, reference, "SEV-1")
    set_severity(api, admin, reference, "SEV-2")  # lowered: nobody
    tocsin.engine.run_until_idle()
    assert len(notices_by_email(smtp, "root@example.com")) == 1
    assert len(notices_by_email(smtp, "c@example.com")) == 1
    assert told(api, admin, reference) == [
        "Stakeholders notified for SEV-3: team lead: lead",
        "Stakeholders notified for SEV-2: engineering manager: engineer-c",
        "Stakeholders notified for SEV-1: vp of engineering: root",
    ]
    assert [job.payload["how"] for job in level_jobs(tocsin)] == ["raised"] * 3


def test_lowering_from_sev1_does_not_tell_sev2s_audience(
    tocsin: Tocsin, api: TestClient, admin: Caller, smtp: SmtpSink
) -> None:
    reference = declare(api, admin, "SEV-1")
    set_severity(api, admin, reference, "SEV-2")
    tocsin.engine.run_until_idle()
    assert len(notices_by_email(smtp, "root@example.com")) == 1
    assert notices_by_email(smtp, "c@example.com") == []


def test_team_roles_mean_the_affected_teams_else_every_team(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink
) -> None:
    search = declare(api, admin, "SEV-3", services=["search"])
    everywhere = declare(api, admin, "SEV-3", services=[])
    tocsin.engine.run_until_idle()
    assert told(api, admin, search) == ["Stakeholders notified for SEV-3: team lead: seeker"]
    assert told(api, admin, everywhere) == [
        "Stakeholders notified for SEV-3: team lead: lead, seeker"
    ]
    assert [n["subject"].split()[1] for n in notices_to_lead(sink, "/seeker")] == [
        search,
        everywhere,
    ]
    assert [n["subject"].split()[1] for n in notices_to_lead(sink)] == [everywhere]


def test_drills_tell_the_audience_like_real_incidents(
    tocsin: Tocsin, api: TestClient, admin: Caller, sink: HttpSink
) -> None:
    reference = declare(api, admin, "SEV-3", drill=True)
    tocsin.engine.run_until_idle()
    assert len(notices_to_lead(sink)) == 1
    assert told(api, admin, reference) == ["Stakeholders notified for SEV-3: team lead: lead"]


def test_the_level_job_is_handled_by_paging(tocsin: Tocsin) -> None:
    assert stakeholders.INCIDENT_STAKEHOLDERS.name in tocsin.registry.kinds()
    handler = tocsin.registry.handler(stakeholders.INCIDENT_STAKEHOLDERS.name)
    assert handler is not None and inspect.unwrap(handler) is notices.notify_level
