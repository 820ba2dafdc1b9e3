"""A webhook contact URL with ``user:password@`` is posted with HTTP Basic authentication, and
the credentials show nowhere: not in listings, the escalation's timeline or the logs."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.paging.conftest import configure, people_yaml
from tests.paging.harness import Harness
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.domain.notification_rules import ContactMethod
from tocsin.kernel.clock import FakeClock
from tocsin.notify.channels import deliver
from tocsin.notify.message import Message
from tocsin.notify.settings import NotifySettings

PASSWORD = "pa%40ss:w0rd"  # percent-encoded "pa@ss:w0rd"
MESSAGE = Message("[Tocsin] Page #1: x", "x", "tocsin-notification-1", {"pages": []})


def expected(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def with_credentials(sink: HttpSink, path: str) -> str:
    return f"http://pager:{PASSWORD}@127.0.0.1:{sink.port}{path}"


def test_the_urls_userinfo_becomes_basic_authentication(sink: HttpSink) -> None:
    settings = NotifySettings(smtp=None, webhook_secret="secret", timeout=5)
    now = FakeClock().now()
    deliver(settings, ContactMethod(0, "webhook", with_credentials(sink, "/auth")), MESSAGE, now)
    deliver(settings, ContactMethod(0, "webhook", sink.url("/plain")), MESSAGE, now)
    deliver(
        settings,
        ContactMethod(0, "webhook", f"http://only@127.0.0.1:{sink.port}/user"),
        MESSAGE,
        now,
    )
    (authenticated,) = sink.received("/auth")
    assert authenticated.headers["Authorization"] == expected("pager", "pa@ss:w0rd")
    (plain,) = sink.received("/plain")
    assert "Authorization" not in plain.headers
    (user_only,) = sink.received("/user")
    assert user_only.headers["Authorization"] == expected("only", "")


@pytest.fixture
def harness(
    tocsin: Tocsin, clock: FakeClock, sink: HttpSink, smtp: SmtpSink, tmp_path: Path
) -> Iterator[Harness]:
    people = people_yaml(sink).replace(sink.url("/b"), with_credentials(sink, "/b"))
    configure(tocsin, tmp_path / "config", {"people.yaml": people})
    yield Harness(tocsin, clock, sink, smtp)


def test_a_page_to_a_credentialed_webhook_authenticates_and_shows_no_secret(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run_id = harness.start(policy="b-only", service=None)
    (request,) = harness.sink.received("/b")
    assert request.headers["Authorization"] == expected("pager", "pa@ss:w0rd")
    assert request.json()["event"] == "page"
    with TestClient(create_app(harness.tocsin, start_engine=False)) as client:
        headers = harness.admin_headers()
        shown = [
            client.get("/api/v1/users/engineer-b", headers=headers).text,
            client.get("/api/v1/users", headers=headers).text,
            client.get("/api/v1/pages", headers=headers).text,
            client.get(f"/api/v1/escalations/{run_id}", headers=headers).text,
        ]
    assert "http://127.0.0.1/…" in shown[0]
    for text in [*shown, caplog.text, *harness.event_texts(run_id)]:
        assert "w0rd" not in text and "pager:" not in text
