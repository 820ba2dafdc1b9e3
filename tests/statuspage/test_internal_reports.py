"""Internal reports: from the declaration, on the severity's interval, a final one at resolution.

Deliveries are checked in outbox mode, where communications are kind ``communication``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import Caller
from tests.statuspage.communications import (
    TEN,
    assign,
    at,
    outbox,
    outbox_api,
    publish,
    run_at,
    set_status,
    timeline,
)
from tests.statuspage.support import declare
from tocsin.app.cli import app as cli
from tocsin.app.service import Tocsin
from tocsin.engine.jobs import PENDING
from tocsin.engine.tables import Job
from tocsin.incidents import records
from tocsin.incidents.changes import IncidentChanged
from tocsin.kernel.clock import FakeClock
from tocsin.notify import outbox as outbox_store
from tocsin.statuspage import communications, reports

CUSTOMERS = """
  customers:
    checkout: [ops@bigcustomer.example]
"""


@pytest.fixture
def api(
    tocsin: Tocsin, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    with outbox_api(tocsin, clock, tmp_path, monkeypatch, CUSTOMERS) as client:
        yield client


def sent(tocsin: Tocsin) -> list[tuple[str | None, str]]:
    """Every internal report recorded: (person, subject), oldest first."""
    return [(row.user_name, row.subject) for row in outbox(tocsin, "report:")]


def pending_reports(tocsin: Tocsin) -> int:
    with tocsin.database.sessions() as session:
        rows = session.scalars(
            select(Job).where(Job.kind == reports.INTERNAL_REPORT.name, Job.state == PENDING)
        )
        return len(list(rows))


def test_reports_start_at_declaration_and_end_with_a_final_one_at_resolution(
    tocsin: Tocsin, api: TestClient, responder: Caller, admin: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder)  # SEV-1 at 10:00, never published
    at(clock, tocsin, 10, 14, 59)
    assert sent(tocsin) == []
    at(clock, tocsin, 10, 15)
    report = f"[Tocsin] {reference} (SEV-1) report: Payments failing"
    assert sent(tocsin) == [("victor", report)], "an interval after the declaration"
    (first,) = outbox(tocsin, "report:")
    assert "Open for 15 minutes" in first.body and "Public status: not published" in first.body
    assert "Next report by 10:30 UTC." in first.body
    at(clock, tocsin, 10, 30)
    assert len(sent(tocsin)) == 2

    at(clock, tocsin, 10, 40)
    set_status(api, admin, reference, "resolved", "fixed")
    at(clock, tocsin, 10, 40)
    final = f"[Tocsin] {reference} (SEV-1) resolved, final report: Payments failing"
    assert sent(tocsin)[2:] == [("victor", final)]
    last = outbox(tocsin, "final report")[0]
    assert f"{reference} (SEV-1, resolved): Payments failing" in last.body
    assert "Resolved at 2026-01-05 10:40 UTC, after 40 minutes" in last.body
    assert last.body.endswith("This is the last report.")
    at(clock, tocsin, 12, 0)
    assert len(sent(tocsin)) == 3
    assert pending_reports(tocsin) == 0, "the report planned for 10:45 planned no other"
    assert timeline(api, responder, reference, "internal_report") == [
        "Internal report sent (vp of engineering: victor)",
        "Internal report sent (vp of engineering: victor)",
        "Final internal report sent (vp of engineering: victor)",
    ]


def test_the_final_report_goes_once_per_resolution_and_a_reopening_restarts_the_cadence(
    tocsin: Tocsin, api: TestClient, responder: Caller, admin: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder, severity="SEV-2")  # every 30 minutes, to ivan
    at(clock, tocsin, 10, 10)
    set_status(api, admin, reference, "resolved", "fixed at once")
    at(clock, tocsin, 10, 10)
    assert [subject for _, subject in sent(tocsin)] == [
        f"[Tocsin] {reference} (SEV-2) resolved, final report: Payments failing"
    ], "resolved before the first report was due: the final one still goes"

    with tocsin.database.transaction() as session:
        incident = records.find(session, reference)
        again = IncidentChanged(incident_id=incident.id, change="resolved")
        communications.follow_incident(session, again, clock.now())
    tocsin.engine.run_until_idle()
    assert len(sent(tocsin)) == 1, "the same resolution reports once"
    assert timeline(api, admin, reference, "internal_report") == [
        "Final internal report sent (engineering manager: ivan)"
    ]

    at(clock, tocsin, 11, 0)
    set_status(api, admin, reference, "responding", "it came back")
    at(clock, tocsin, 11, 29, 59)
    assert len(sent(tocsin)) == 1, "the cadence counts from the reopening, not the last report"
    at(clock, tocsin, 11, 30)
    assert sent(tocsin)[1] == ("ivan", f"[Tocsin] {reference} (SEV-2) report: Payments failing")
    at(clock, tocsin, 11, 40)
    set_status(api, admin, reference, "resolved", "fixed for good")
    at(clock, tocsin, 11, 40)
    assert [subject.split(") ")[1] for _, subject in sent(tocsin)] == [
        "resolved, final report: Payments failing",
        "report: Payments failing",
        "resolved, final report: Payments failing",
    ], "each resolution has its final report"
    at(clock, tocsin, 13, 0)
    assert len(sent(tocsin)) == 3


def test_a_report_planned_before_a_reopening_that_resolves_again_sends_no_final_report(
    tocsin: Tocsin, api: TestClient, responder: Caller, admin: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder, severity="SEV-2")
    clock.set(TEN + timedelta(minutes=5))
    set_status(api, admin, reference, "resolved", "looked fixed")
    set_status(api, admin, reference, "responding", "it was not")
    tocsin.engine.run_until_idle()
    assert sent(tocsin) == [], "reopened before the resolution was followed: nothing is final"
    run_at(clock, tocsin, TEN + timedelta(minutes=35))
    assert [subject for _, subject in sent(tocsin)] == [
        f"[Tocsin] {reference} (SEV-2) report: Payments failing"
    ]


def test_raising_the_severity_brings_the_next_report_forward_without_publishing(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder, severity="SEV-2")
    at(clock, tocsin, 10, 5)
    raised = api.post(
        f"/api/v1/incidents/{reference}/severity",
        json={"severity": "SEV-1", "reason": "every checkout fails"},
        headers=responder.headers,
    )
    assert raised.status_code == 200, raised.text
    at(clock, tocsin, 10, 14, 59)
    assert [person for person, _ in sent(tocsin)] == []
    at(clock, tocsin, 10, 15)
    assert [person for person, _ in sent(tocsin)] == ["victor"], "SEV-1's audience, at 15 minutes"


def test_a_level_without_an_audience_gets_no_reports(
    tocsin: Tocsin, api: TestClient, responder: Caller, admin: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder, severity="SEV-4")  # escalation: None
    tocsin.engine.run_until_idle()
    assert pending_reports(tocsin) == 0
    run_at(clock, tocsin, TEN + timedelta(days=2))
    set_status(api, admin, reference, "resolved", "done")
    tocsin.engine.run_until_idle()
    assert sent(tocsin) == []


def test_drills_are_reported_on_like_real_incidents(
    tocsin: Tocsin, api: TestClient, responder: Caller, admin: Caller, clock: FakeClock
) -> None:
    response = api.post(
        "/api/v1/incidents",
        json={"title": "Game day", "severity": "SEV-1", "services": ["checkout"], "drill": True},
        headers=responder.headers,
    )
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    at(clock, tocsin, 10, 15)
    at(clock, tocsin, 10, 20)
    set_status(api, admin, reference, "resolved", "drill over")
    tocsin.engine.run_until_idle()
    assert sent(tocsin) == [
        ("victor", f"[Tocsin] {reference} (SEV-1) report: Game day"),
        ("victor", f"[Tocsin] {reference} (SEV-1) resolved, final report: Game day"),
    ]
    (notice,) = outbox(tocsin, "declared at SEV-1")
    assert notice.kind == "stakeholder", "as paging's notice about the same drill"


def test_communications_are_their_own_kind_in_the_outbox(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder)
    publish(api, responder, reference)
    assign(api, responder, reference, "communications_lead", "carol")
    at(clock, tocsin, 10, 15)
    with tocsin.database.sessions() as session:
        listed = outbox_store.listing(session, kind="communication")
        kinds = {(row.kind, row.user_name or row.address) for row in outbox_store.listing(session)}
    assert sorted((row.user_name or row.address, row.subject) for row in listed) == [
        ("carol", f"[Tocsin] {reference}: public update overdue by 0 min"),
        ("ops@bigcustomer.example", "Acme status: Checkout errors (published)"),
        ("victor", f"[Tocsin] {reference} (SEV-1) report: Payments failing"),
    ]
    assert kinds == {
        ("communication", "carol"),
        ("communication", "ops@bigcustomer.example"),
        ("communication", "victor"),
        ("stakeholder", "victor"),
    }, "paging's notice stays a stakeholder message"

    env = {
        "TOCSIN_DATA_DIR": str(tocsin.settings.data_dir),
        "TOCSIN_DATABASE_URL": tocsin.settings.database_url,
        "COLUMNS": "250",
    }
    listing = CliRunner().invoke(cli, ["outbox", "list", "--kind", "communication"], env=env)
    assert listing.exit_code == 0, listing.output
    assert listing.stdout.count("communication") == 3 and "stakeholder" not in listing.stdout
    assert "public update overdue by 0 min" in listing.stdout
