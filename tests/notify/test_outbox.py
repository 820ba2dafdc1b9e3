"""Outbox mode: every channel records its message instead of sending it, without secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.paging.conftest import configure
from tests.support.sinks import HttpSink, http_sink
from tocsin.app.cli import app as cli
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.auth.tables import User
from tocsin.domain.escalation import Urgency
from tocsin.domain.notification_rules import ContactMethod
from tocsin.engine import jobs
from tocsin.notify import outbox
from tocsin.notify.message import Message
from tocsin.paging import pages, runs
from tocsin.paging.tables import Notification

SLACK_SECRET = "T0000/B0000/XXXXsecretXXXX"
TELEGRAM_TOKEN = "123456:bot-token-secret"


def people(sink: HttpSink) -> str:
    return f"""
users:
  pat:
    email: pat@example.com
    role: admin
    contact_methods:
      - {{type: email, address: pat@example.com}}
      - {{type: sms, address: "+15551234567"}}
      - {{type: webhook, url: "{sink.url("/hook/" + SLACK_SECRET)}"}}
      - {{type: slack, url: "https://hooks.slack.com/services/{SLACK_SECRET}"}}
      - {{type: apprise, url: "tgram://{TELEGRAM_TOKEN}/4242"}}
  vic:
    email: vic@example.com
    role: viewer
    contact_methods:
      - {{type: email, address: vic@example.com}}
escalation_policies:
  pat-only:
    steps: [{{targets: [{{user: pat}}], timeout_minutes: 5}}]
"""


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with http_sink() as receiver:
        yield receiver


@pytest.fixture
def paged(
    tocsin: Tocsin, sink: HttpSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Tocsin:
    """Pat paged at high urgency (every contact method at once) in outbox mode."""
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    monkeypatch.setenv("TOCSIN_WEBHOOK_SECRET", "signing-secret")
    monkeypatch.delenv("TOCSIN_MAIL_HOST", raising=False)
    configure(tocsin, tmp_path / "config", {"people.yaml": people(sink)}, seeds=False)
    with tocsin.database.transaction() as session:
        runs.start(
            session,
            subject_type="manual",
            subject_key="1",
            title="Database down",
            policy_name="pat-only",
            urgency=Urgency.HIGH,
            now=tocsin.clock.now(),
        )
    tocsin.engine.run_until_idle()
    return tocsin


def test_every_channel_records_instead_of_sending(paged: Tocsin, sink: HttpSink) -> None:
    with paged.database.sessions() as session:
        recorded = {m.channel: m for m in outbox.listing(session)}
        states = {n.method_type: n.state for n in session.query(Notification)}
        dead = jobs.count_by_state(session)["dead"]
    assert sink.received() == [], "nothing is sent in outbox mode"
    assert dead == 0
    assert states == dict.fromkeys(("email", "sms", "webhook", "slack", "apprise"), "sent")
    assert {channel: m.address for channel, m in recorded.items()} == {
        "email": "pat@example.com",
        "sms": "+15551234567",
        "webhook": "http://127.0.0.1/…",
        "slack": "https://hooks.slack.com/…",
        "apprise": "tgram://…",
    }
    for message in recorded.values():
        assert message.user_name == "pat" and message.kind == "page"
        assert "Database down" in message.subject
        assert "/ack/[token hidden]" in message.body
        assert SLACK_SECRET not in message.body + message.address
        assert TELEGRAM_TOKEN not in message.body + message.address


def test_the_outbox_page_shows_admins_everything_and_others_their_own(paged: Tocsin) -> None:
    with paged.database.transaction() as session:
        for name in ("pat", "vic"):
            user = session.query(User).filter_by(name=name).one()
            accounts.set_password(
                session, user, f"{name}-password-1", now=paged.clock.now(), actor="test"
            )
    with TestClient(create_app(paged, start_engine=False), base_url="https://testserver") as c:
        assert c.get("/outbox", follow_redirects=False).headers["location"] == "/login?next=/outbox"
        log_in(c, "pat")
        page = c.get("/outbox").text
        assert page.count('<tr id="message-') == 5 and "+15551234567" in page
        assert "<script>" not in page and 'scope="col"' in page
    with TestClient(create_app(paged, start_engine=False), base_url="https://testserver") as c:
        log_in(c, "vic")
        page = c.get("/outbox").text
        assert "You see the messages for you only" in page
        assert '<tr id="message-' not in page and "+15551234567" not in page


def log_in(client: TestClient, user: str) -> None:
    form = client.get("/login")
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/login",
        data={"username": user, "password": f"{user}-password-1", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_outbox_commands_list_and_show(paged: Tocsin) -> None:
    runner = CliRunner()
    env = {
        "TOCSIN_DATA_DIR": str(paged.settings.data_dir),
        "TOCSIN_DATABASE_URL": paged.settings.database_url,
    }
    listed = runner.invoke(cli, ["outbox", "list", "--user", "pat"], env=env)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.count("Database down") == 5 and "pat@example.com" in listed.stdout
    with paged.database.sessions() as session:
        email = next(m for m in outbox.listing(session) if m.channel == "email")
    shown = runner.invoke(cli, ["outbox", "show", str(email.id)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "To:      pat by email pat@example.com" in shown.stdout
    assert "Acknowledge: " in shown.stdout and "[token hidden]" in shown.stdout
    unknown = runner.invoke(cli, ["outbox", "list", "--kind", "pager"], env=env)
    assert unknown.exit_code == 1
    kinds = "page, stakeholder, alarm, handoff, status, communication"
    assert f"--kind must be one of {kinds}, got 'pager'" in unknown.stderr
    missing = runner.invoke(cli, ["outbox", "show", "999999"], env=env)
    assert missing.exit_code == 1 and "message_id: no message 999999" in missing.stderr


def test_a_retried_message_is_recorded_once(paged: Tocsin) -> None:
    with paged.database.transaction() as session:
        first = outbox.listing(session)[0]
        again = outbox.record(
            session,
            kind=first.kind,
            user_name=first.user_name,
            method=ContactMethod(0, first.channel, "someone@example.com"),
            message=Message(subject="again", body="again", idempotency_key=first.idempotency_key),
            now=paged.clock.now(),
        )
    assert again is False
    with paged.database.sessions() as session:
        assert len(outbox.listing(session)) == 5


def test_a_bad_delivery_mode_stops_the_start_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(
        cli,
        ["worker", "--data-dir", str(tmp_path)],
        env={"TOCSIN_DELIVERY": "carrier-pigeon", "TOCSIN_DATABASE_URL": ""},
    )
    assert result.exit_code == 1
    assert "TOCSIN_DELIVERY must be one of send, outbox, got 'carrier-pigeon'" in result.stderr


def test_admin_alarms_go_to_the_outbox_too(paged: Tocsin) -> None:
    with paged.database.transaction() as session:
        pages.alarm(
            session, "test", "[Tocsin] Dead page #9", "could not deliver", paged.clock.now()
        )
    paged.engine.run_until_idle()
    with paged.database.sessions() as session:
        alarms = outbox.listing(session, kind="alarm")
        dead = jobs.count_by_state(session)["dead"]
    assert [(m.user_name, m.channel, m.address, m.subject) for m in alarms] == [
        (None, "email", "pat@example.com", "[Tocsin] Dead page #9")
    ]
    assert dead == 0
