"""Handoff reports reach both people, through their notification rules, once per handoff.

Real receivers on 127.0.0.1 (an SMTP server, a signed-webhook sink), the fake clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.paging.conftest import configure
from tests.support.sinks import HttpSink, SmtpSink, http_sink, smtp_sink
from tocsin.app.service import Tocsin
from tocsin.engine import jobs
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock
from tocsin.notify import outbox
from tocsin.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tocsin.oncall import handoff_notices
from tocsin.oncall.tables import HandoffReport

SECRET = "handoff-signing-secret"
HANDOFF = datetime(2026, 1, 6, 6, 0, tzinfo=UTC)


def config(sink: HttpSink) -> str:
    """Olga (Paris, email, no rules) hands the daily 06:00 UTC rotation over to Ivan.

    Ivan's low-urgency rules use his webhook, and his quiet hours (22:00-07:00
    UTC) hold non-urgent messages until seven.
    """
    return f"""
users:
  olga:
    email: olga@example.com
    time_zone: Europe/Paris
    contact_methods:
      - {{type: email, address: olga@example.com}}
  ivan:
    email: ivan@example.com
    contact_methods:
      - {{type: email, address: ivan@example.com}}
      - {{type: webhook, url: "{sink.url("/ivan")}"}}
notification_rules:
  ivan:
    low_urgency: [{{method: webhook}}]
    quiet_hours: {{start: "22:00", end: "07:00"}}
schedules:
  ops:
    time_zone: UTC
    layers:
      - name: primary
        rotation: daily
        handoff_time: "06:00"
        start: 2026-01-05T06:00:00
        participants: [olga, ivan]
"""


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        monkeypatch.setenv("TOCSIN_MAIL_HOST", sink.host)
        monkeypatch.setenv("TOCSIN_MAIL_PORT", str(sink.port))
        yield sink


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpSink]:
    with http_sink() as receiver:
        monkeypatch.setenv("TOCSIN_WEBHOOK_SECRET", SECRET)
        yield receiver


def notify_jobs(tocsin: Tocsin) -> list[tuple[str, str, datetime]]:
    with tocsin.database.sessions() as session:
        rows = session.scalars(
            select(Job).where(Job.kind == handoff_notices.NOTIFY.name).order_by(Job.id)
        )
        return [(row.payload["user"], row.state, row.run_at) for row in rows]


def test_both_people_get_the_report_once_through_their_rules(
    tocsin: Tocsin,
    clock: FakeClock,
    smtp: SmtpSink,
    sink: HttpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TOCSIN_DELIVERY", raising=False)
    configure(tocsin, tmp_path / "config", {"people.yaml": config(sink)}, seeds=False)
    tocsin.engine.run_until_idle()
    clock.set(HANDOFF)
    tocsin.engine.run_until_idle()

    # Olga at once by email; Ivan's webhook waits for the end of his quiet hours.
    assert [(each.to, each.subject) for each in smtp.emails] == [
        (("olga@example.com",), "[Tocsin] Handoff: ivan takes over ops (primary)")
    ]
    body = smtp.emails[0].body.replace("\r\n", "\n")
    assert "You hand the primary layer of ops over to ivan at 2026-01-06 07:00 CET." in body
    assert "Incidents still open:\n- none" in body
    assert sink.received() == []
    assert notify_jobs(tocsin) == [
        ("olga", "done", HANDOFF),
        ("ivan", "pending", datetime(2026, 1, 6, 7, 0, tzinfo=UTC)),
    ]

    clock.set(datetime(2026, 1, 6, 7, 0, tzinfo=UTC))
    tocsin.engine.run_until_idle()
    [request] = sink.received("/ivan")
    assert verify(
        SECRET,
        request.headers[TIMESTAMP_HEADER],
        request.body,
        request.headers[SIGNATURE_HEADER],
        now=clock.now(),
    )
    payload = request.json()
    assert payload["subject"] == "[Tocsin] Handoff: you are on call for ops (primary)"
    assert (
        "You take over the primary layer of ops from olga at 2026-01-06 06:00 UTC."
        in payload["text"]
    )
    assert (payload["event"], payload["side"], payload["schedule"]) == (
        "handoff",
        "incoming",
        "ops",
    )
    assert payload["report"]["incoming"] == "ivan"

    # Queueing the same handoff again adds nothing: once per person per handoff.
    with tocsin.database.transaction() as session:
        report = session.scalars(select(HandoffReport)).one()
        handoff_notices.queue(session, report, clock.now())
    clock.set(datetime(2026, 1, 6, 12, 0, tzinfo=UTC))
    tocsin.engine.run_until_idle()
    assert len(smtp.emails) == 1 and len(sink.received()) == 1
    assert [state for _, state, _ in notify_jobs(tocsin)] == ["done", "done"]


def test_in_outbox_mode_handoff_reports_land_in_the_outbox(
    tocsin: Tocsin,
    clock: FakeClock,
    sink: HttpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    monkeypatch.delenv("TOCSIN_MAIL_HOST", raising=False)
    configure(tocsin, tmp_path / "config", {"people.yaml": config(sink)}, seeds=False)
    tocsin.engine.run_until_idle()
    clock.set(datetime(2026, 1, 6, 7, 0, tzinfo=UTC))
    tocsin.engine.run_until_idle()
    with tocsin.database.sessions() as session:
        recorded = outbox.listing(session, kind="handoff")
        dead = jobs.count_by_state(session)["dead"]
    assert sorted((m.user_name, m.channel, m.address) for m in recorded) == [
        ("ivan", "webhook", "http://127.0.0.1/…"),
        ("olga", "email", "olga@example.com"),
    ]
    assert dead == 0 and sink.received() == []
