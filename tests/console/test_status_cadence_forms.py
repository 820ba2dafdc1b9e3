"""The console's story page keeps the cadence: overdue updates, drafts, the no-update update."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.console.test_viewer import _log_in
from tests.statuspage.support import declare, ok, publish, set_up
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

SEE_OTHER = 303


def test_an_overdue_update_is_shown_drafted_from_a_template_and_cleared_in_one_click(
    tocsin: Tocsin, client: TestClient, responder: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    reference = declare(client, responder)  # SEV-1: an update every 15 minutes
    code = publish(
        client,
        responder,
        reference,
        {
            "name": "Checkout errors",
            "body": "Investigating.",
            "components": {"Checkout": "major_outage"},
        },
    )["id"]
    token = _log_in(tocsin, client, "cora", "responder")
    page = client.get(f"/status-page/incidents/{code}").text
    assert "Next public update due by" in page and "overdue" not in page

    clock.advance(timedelta(minutes=20))
    page = client.get(f"/status-page/incidents/{code}").text
    assert "Update overdue by 5 min" in page
    assert "Public update overdue by 5 min" in client.get(f"/incidents/{reference}").text

    drafted = client.get(f"/status-page/incidents/{code}?draft=identified").text
    assert "We have found the cause of the problem" in drafted
    assert '<option value="identified" selected>' in drafted

    answer = client.post(
        f"/status-page/incidents/{code}/no-update",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == SEE_OTHER, answer.text
    page = client.get(f"/status-page/incidents/{code}").text
    assert "Update overdue" not in page
    assert "We are still investigating the problem" in page
    summary = ok(client.get("/api/v2/summary.json"))
    assert summary["incidents"][0]["incident_updates"][0]["body"].startswith(
        "We are still investigating"
    )
