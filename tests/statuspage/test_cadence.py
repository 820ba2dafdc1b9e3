"""The public update cadence, internal reports and customer notifications, on the fake clock.

Deliveries are checked in outbox mode (``TOCSIN_DELIVERY=outbox``): every
message is recorded in the outbox table instead of being sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.statuspage.communications import (
    TEN,
    assign,
    at,
    outbox,
    outbox_api,
    publish,
    reminders,
    sev1,
    timeline,
    update,
)
from tests.statuspage.support import declare, ok
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

CUSTOMERS = """
  customers:
    checkout: [ops@bigcustomer.example, cto@bigcustomer.example]
"""


@pytest.fixture
def api(
    tocsin: Tocsin, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The API without a running engine (tests run due jobs), on the outbox, at 10:00."""
    with outbox_api(tocsin, clock, tmp_path, monkeypatch, CUSTOMERS) as client:
        yield client


def shown(api: TestClient, caller: Caller, code: str) -> tuple[str | None, int | None]:
    public = ok(api.get(f"/api/v1/status-page/incidents/{code}", headers=caller.headers))
    return public["next_update_due"], public["overdue_seconds"]


def test_the_deadline_runs_from_the_last_update_and_reminds_the_communications_lead(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference, code = sev1(api, responder)
    at(clock, tocsin, 10, 5)
    update(api, responder, code)
    assert shown(api, responder, code) == ("2026-01-05T10:20:00Z", None)

    at(clock, tocsin, 10, 19, 59)
    assert reminders(tocsin) == [], "the deadline counts from 10:05, not from 10:00"
    at(clock, tocsin, 10, 20)
    assert reminders(tocsin) == [("carol", "carol@example.com")]
    at(clock, tocsin, 10, 21)
    assert shown(api, responder, code) == ("2026-01-05T10:20:00Z", 60)
    at(clock, tocsin, 10, 27, 29)
    assert len(reminders(tocsin)) == 1
    at(clock, tocsin, 10, 27, 30)
    assert reminders(tocsin) == [("carol", "carol@example.com")] * 2, "again at half the interval"
    (first, second) = outbox(tocsin, "public update overdue")
    assert first.subject == f"[Tocsin] {reference}: public update overdue by 0 min"
    assert second.subject == f"[Tocsin] {reference}: public update overdue by 7 min"
    assert f"/api/v1/status-page/incidents/{code}/no-update" in first.body

    at(clock, tocsin, 10, 30)
    update(api, responder, code, "monitoring")
    assert shown(api, responder, code) == ("2026-01-05T10:45:00Z", None), "the update clears it"
    at(clock, tocsin, 10, 35)
    at(clock, tocsin, 10, 44, 59)
    assert len(reminders(tocsin)) == 2, "the reminder planned for 10:35 saw the newer update"
    at(clock, tocsin, 10, 45)
    assert len(reminders(tocsin)) == 3

    assert timeline(api, responder, reference, "reminder") == [
        "Public update overdue by 0 min: reminded carol (Communications Lead)",
        "Public update overdue by 7 min: reminded carol (Communications Lead)",
        "Public update overdue by 0 min: reminded carol (Communications Lead)",
    ]


def test_reminders_go_on_every_half_interval_until_resolved_then_stop(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    _reference, code = sev1(api, responder)
    at(clock, tocsin, 10, 15)
    at(clock, tocsin, 10, 22, 30)
    at(clock, tocsin, 10, 30)
    assert len(reminders(tocsin)) == 3
    at(clock, tocsin, 10, 31)
    update(api, responder, code, "resolved")
    assert shown(api, responder, code) == (None, None)
    at(clock, tocsin, 12, 0)
    assert len(reminders(tocsin)) == 3, "nothing is due once resolved"


def test_without_a_communications_lead_the_incident_commander_is_reminded(
    tocsin: Tocsin, api: TestClient, responder: Caller, admin: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder)
    assign(api, responder, reference, "incident_commander", "ivan")
    publish(api, admin, reference)
    at(clock, tocsin, 10, 15)
    assert reminders(tocsin) == [("ivan", "ivan@example.com")], "no contact method: their email"


def test_a_no_update_update_is_one_call_and_moves_the_deadline(
    tocsin: Tocsin, api: TestClient, responder: Caller, viewer: Caller, clock: FakeClock
) -> None:
    _reference, code = sev1(api, responder)
    at(clock, tocsin, 10, 16)
    assert len(reminders(tocsin)) == 1
    assert shown(api, responder, code) == ("2026-01-05T10:15:00Z", 60)
    forbidden = api.post(f"/api/v1/status-page/incidents/{code}/no-update", headers=viewer.headers)
    assert forbidden.status_code == 403
    public = ok(
        api.post(f"/api/v1/status-page/incidents/{code}/no-update", headers=responder.headers), 201
    )
    latest = public["updates"][0]
    assert latest["status"] == "investigating"
    assert latest["body"] == (
        "We are still investigating the problem with Checkout. We have nothing new to tell yet. "
        "We will post an update by 10:31 UTC."
    )
    assert (public["next_update_due"], public["overdue_seconds"]) == ("2026-01-05T10:31:00Z", None)
    at(clock, tocsin, 10, 30, 59)
    assert len(reminders(tocsin)) == 1, "the no-update update cleared the reminders"


def test_only_the_incidents_speakers_post_a_no_update_update(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder)
    code = publish(api, responder, reference)
    assign(api, responder, reference, "communications_lead", "carol")
    refused = api.post(f"/api/v1/status-page/incidents/{code}/no-update", headers=responder.headers)
    assert refused.status_code == 403, refused.text
    assert "carol" in refused.json()["detail"]


def test_the_escalation_audience_gets_internal_reports_on_its_own_cadence(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference, _code = sev1(api, responder)
    api.post(
        f"/api/v1/incidents/{reference}/notes",
        json={"text": "INTERNAL-MARKER db-7 is swapping", "kind": "observation"},
        headers=responder.headers,
    )
    at(clock, tocsin, 10, 14, 59)
    assert outbox(tocsin, "report:") == []
    at(clock, tocsin, 10, 15)
    (first,) = outbox(tocsin, "report:")
    assert first.user_name == "victor"
    assert first.subject == f"[Tocsin] {reference} (SEV-1) report: Payments failing"
    assert "INTERNAL-MARKER db-7 is swapping" in first.body, "more detailed than the public one"
    assert "incident commander: rex" in first.body and "communications lead: carol" in first.body
    assert 'Investigating ("Checkout errors")' in first.body

    at(clock, tocsin, 10, 20)
    sent = ok(
        api.post(f"/api/v1/status-page/internal-reports/{reference}", headers=responder.headers),
        201,
    )
    assert sent["sent_to"] == {"vp_of_engineering": ["victor"]}
    assert sent["next_report_due"] == "2026-01-05T10:35:00Z"
    at(clock, tocsin, 10, 34, 59)
    assert len(outbox(tocsin, "report:")) == 2, "the cadence counts from the last report"
    at(clock, tocsin, 10, 35)
    assert len(outbox(tocsin, "report:")) == 3
    public_bodies = [
        u["body"] for u in ok(api.get("/api/v2/summary.json"))["incidents"][0]["incident_updates"]
    ]
    assert not any("INTERNAL-MARKER" in body for body in public_bodies)


def test_customers_hear_of_publication_resolution_and_the_approved_summary(
    tocsin: Tocsin, api: TestClient, responder: Caller, admin: Caller, clock: FakeClock
) -> None:
    reference, code = sev1(api, responder)
    api.post(
        f"/api/v1/incidents/{reference}/notes",
        json={"text": "Rolled back deploy 4711", "kind": "action"},
        headers=responder.headers,
    )
    customers = ["cto@bigcustomer.example", "ops@bigcustomer.example"]
    tocsin.engine.run_until_idle()
    mails = outbox(tocsin, "Acme status: Checkout errors")
    assert sorted(m.address for m in mails) == customers
    assert {m.subject for m in mails} == {"Acme status: Checkout errors (published)"}
    assert "a problem that affects the service you use: Checkout errors" in mails[0].body
    assert "Payments failing" not in mails[0].body, "the internal title stays inside"

    at(clock, tocsin, 10, 40)
    update(api, responder, code, "resolved")
    tocsin.engine.run_until_idle()
    resolved = outbox(tocsin, "(resolved)")
    assert len(resolved) == 2
    assert 'The problem "Checkout errors" is resolved. It lasted 40 minutes.' in resolved[0].body

    summary = ok(api.get(f"/api/v1/status-page/summaries/{reference}", headers=responder.headers))
    assert summary["approved"] is None and summary["customers"] == [
        "ops@bigcustomer.example",
        "cto@bigcustomer.example",
    ]
    assert "Rolled back deploy 4711" in summary["draft"]
    assert "[To be written: what we will change" in summary["draft"]
    path = f"/api/v1/status-page/summaries/{reference}"
    early = api.post(path, json={"text": "Done."}, headers=admin.headers)
    assert early.status_code == 409, "the Tocsin incident is not resolved yet"
    resolve = api.post(
        f"/api/v1/incidents/{reference}/status",
        json={"status": "resolved", "reason": "Rolled back"},
        headers=responder.headers,
    )
    assert resolve.status_code == 200, resolve.text
    unfinished = api.post(path, json={"text": summary["draft"]}, headers=admin.headers)
    assert unfinished.status_code == 422
    assert "[To be written" in unfinished.json()["detail"][0]["msg"]
    not_carol = api.post(path, json={"text": "Fixed."}, headers=responder.headers)
    assert not_carol.status_code == 403 and "carol" in not_carol.json()["detail"]

    assign(api, responder, reference, "communications_lead", responder.name)
    text = summary["draft"].replace(
        "[To be written: what we will change so that it does not happen again.]",
        "- Deploys of checkout are canaried first.",
    )
    approved = ok(api.post(path, json={"text": text}, headers=responder.headers), 201)
    assert sorted(approved["sent_to"]) == customers
    tocsin.engine.run_until_idle()
    (mail, _) = outbox(tocsin, "(summary)")
    assert "Deploys of checkout are canaried first." in mail.body
    again = api.post(path, json={"text": text}, headers=responder.headers)
    assert again.status_code == 409
    shown_summary = ok(api.get(path, headers=responder.headers))
    assert shown_summary["approved"] == text.strip()
    assert shown_summary["approved_by"] == responder.name
    assert len(outbox(tocsin, "Acme status: Checkout errors")) == 6, "each mail exactly once"


def test_the_management_api_shows_when_the_next_update_is_due(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder, severity="SEV-3")
    code = publish(api, responder, reference)
    clock.set(TEN + timedelta(hours=2, minutes=5))
    listed = ok(api.get("/api/v1/status-page/incidents", headers=responder.headers))
    assert listed[0]["next_update_due"] == "2026-01-05T12:00:00Z"
    assert listed[0]["overdue_seconds"] == 300
    assert code == listed[0]["id"]


def test_raising_the_severity_brings_the_reminder_forward(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock
) -> None:
    reference = declare(api, responder, severity="SEV-2")
    code = publish(api, responder, reference)
    assign(api, responder, reference, "communications_lead", "carol")
    assert shown(api, responder, code) == ("2026-01-05T10:30:00Z", None)
    at(clock, tocsin, 10, 5)
    raised = api.post(
        f"/api/v1/incidents/{reference}/severity",
        json={"severity": "SEV-1", "reason": "every checkout fails"},
        headers=responder.headers,
    )
    assert raised.status_code == 200, raised.text
    assert shown(api, responder, code) == ("2026-01-05T10:15:00Z", None)
    at(clock, tocsin, 10, 14, 59)
    assert reminders(tocsin) == []
    at(clock, tocsin, 10, 15)
    assert reminders(tocsin) == [("carol", "carol@example.com")], "SEV-1's 15 minutes, not 30"
    at(clock, tocsin, 10, 22, 30)
    at(clock, tocsin, 10, 30)
    assert len(reminders(tocsin)) == 3, "10:15, 10:22:30, 10:30: once each despite two plans"
