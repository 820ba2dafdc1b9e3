"""Clock times in reminders, internal reports and drafts: the page's zone, with its abbreviation.

The page is in Berlin: 10:00 UTC is 11:00 CET in January. On 2026-03-29
Berlin moves from CET to CEST at 01:00 UTC (02:00 becomes 03:00), and on
2026-10-25 back at 01:00 UTC (03:00 becomes 02:00): a time shown with the
abbreviation of another moment would be an hour off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.statuspage.communications import outbox, outbox_api, run_at, sev1
from tests.statuspage.support import ok
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

BERLIN = """
  time_zone: Europe/Berlin
"""
JANUARY = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
SPRING = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)  # 01:50 CET, ten minutes before CEST
AUTUMN = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)  # 02:50 CEST, ten minutes before CET


def no_update(api: TestClient, caller: Caller, code: str) -> str:
    public = ok(
        api.post(f"/api/v1/status-page/incidents/{code}/no-update", headers=caller.headers), 201
    )
    body: str = public["updates"][0]["body"]
    return body


def test_reminders_reports_and_drafts_show_the_pages_zone(
    tocsin: Tocsin,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    responder: Caller,
) -> None:
    with outbox_api(tocsin, clock, tmp_path, monkeypatch, BERLIN, start=JANUARY) as api:
        _reference, code = sev1(api, responder)
        run_at(clock, tocsin, JANUARY + timedelta(minutes=15))
        (reminder,) = outbox(tocsin, "public update overdue")
        assert "was last updated at 11:00 CET; the next update was due by 11:15 CET." in (
            reminder.body
        )
        (report,) = outbox(tocsin, "report:")
        assert "- 11:00 CET Declared by hand as SEV-1" in report.body
        assert report.body.endswith("Next report by 11:30 CET.")
        clock.set(JANUARY + timedelta(minutes=16))
        assert no_update(api, responder, code).endswith("We will post an update by 11:31 CET.")


@pytest.mark.parametrize(
    ("start", "updated", "due", "report"),
    [
        (SPRING, "01:55 CET", "03:10 CEST", "03:20 CEST"),
        (AUTUMN, "02:55 CEST", "02:10 CET", "02:20 CET"),
    ],
    ids=["spring", "autumn"],
)
def test_across_a_change_of_summer_time_each_time_has_its_own_abbreviation(
    tocsin: Tocsin,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    responder: Caller,
    start: datetime,
    updated: str,
    due: str,
    report: str,
) -> None:
    with outbox_api(tocsin, clock, tmp_path, monkeypatch, BERLIN, start=start) as api:
        _reference, code = sev1(api, responder)
        clock.set(start + timedelta(minutes=5))
        body = no_update(api, responder, code)
        assert body.endswith(f"We will post an update by {due}."), body
        run_at(clock, tocsin, start + timedelta(minutes=15))
        (sent,) = outbox(tocsin, "report:")
        assert sent.body.endswith(f"Next report by {report}."), sent.body
        assert f"- {updated} " in sent.body, "the timeline's times too"
        run_at(clock, tocsin, start + timedelta(minutes=20))
        (reminder,) = outbox(tocsin, "public update overdue")
        assert f"was last updated at {updated}; the next update was due by {due}." in reminder.body
