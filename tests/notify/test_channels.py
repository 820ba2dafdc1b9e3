"""Delivery channels against real receivers on 127.0.0.1: SMTP, signed webhooks, chat, Apprise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.sinks import HttpSink, SmtpSink, http_sink, smtp_sink
from tocsin.domain.notification_rules import ContactMethod
from tocsin.notify.channels import deliver, provider
from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import NotifySettings, SmtpSettings
from tocsin.notify.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    verify,
)

NOW = datetime(2026, 2, 16, 14, 0, tzinfo=UTC)
SECRET = "s3cret"
MESSAGE = Message(
    subject="[Tocsin] Page #7: Database down",
    body="Database down\nAcknowledge: https://tocsin.example.com/ack/abc",
    idempotency_key="tocsin-notification-7",
    data={"pages": [{"page_id": 7, "title": "Database down"}]},
)


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with http_sink() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_sink() as server:
        yield server


def settings(smtp: SmtpSink | None = None, **changes: object) -> NotifySettings:
    base = NotifySettings(
        smtp=SmtpSettings(smtp.host, smtp.port, "tocsin@example.com") if smtp else None,
        webhook_secret=SECRET,
        timeout=5,
    )
    return NotifySettings(**{**base.__dict__, **changes})


def test_email_arrives_at_the_smtp_server(smtp: SmtpSink) -> None:
    deliver(settings(smtp), ContactMethod(0, "email", "ana@example.com"), MESSAGE, NOW)
    (email,) = smtp.emails
    assert email.to == ("ana@example.com",)
    assert email.subject == MESSAGE.subject
    assert "Acknowledge: https://tocsin.example.com/ack/abc" in email.body
    assert email.message["X-Tocsin-Delivery"] == "tocsin-notification-7"


def test_email_without_a_server_configured_is_a_permanent_failure() -> None:
    with pytest.raises(DeliveryError) as raised:
        deliver(settings(), ContactMethod(0, "email", "ana@example.com"), MESSAGE, NOW)
    assert raised.value.permanent and "TOCSIN_MAIL_HOST" in str(raised.value)


def test_an_unreachable_smtp_server_is_retried() -> None:
    closed = NotifySettings(smtp=SmtpSettings("127.0.0.1", 9, "t@example.com"), timeout=2)
    with pytest.raises(DeliveryError) as raised:
        deliver(closed, ContactMethod(0, "email", "ana@example.com"), MESSAGE, NOW)
    assert not raised.value.permanent


def test_webhooks_are_signed_over_timestamp_and_body(sink: HttpSink) -> None:
    deliver(settings(), ContactMethod(0, "webhook", sink.url("/hook")), MESSAGE, NOW)
    (request,) = sink.received("/hook")
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert timestamp == str(int(NOW.timestamp()))
    assert request.headers[SIGNATURE_HEADER] == signature(SECRET, int(timestamp), request.body)
    assert request.headers[DELIVERY_HEADER] == "tocsin-notification-7"
    assert verify(SECRET, timestamp, request.body, request.headers[SIGNATURE_HEADER], NOW)
    payload = request.json()
    assert payload["event"] == "page" and payload["pages"][0]["page_id"] == 7


def test_verification_rejects_tampering_wrong_keys_and_replays(sink: HttpSink) -> None:
    deliver(settings(), ContactMethod(0, "webhook", sink.url("/hook")), MESSAGE, NOW)
    (request,) = sink.received("/hook")
    stamp, signed = request.headers[TIMESTAMP_HEADER], request.headers[SIGNATURE_HEADER]
    assert not verify(SECRET, stamp, request.body + b" ", signed, NOW)
    assert not verify("other", stamp, request.body, signed, NOW)
    assert not verify(SECRET, stamp, request.body, signed, NOW + timedelta(minutes=6))
    assert not verify(SECRET, "not-a-number", request.body, signed, NOW)


def test_webhooks_need_a_signing_secret(sink: HttpSink) -> None:
    with pytest.raises(DeliveryError) as raised:
        deliver(
            settings(webhook_secret=None),
            ContactMethod(0, "webhook", sink.url("/hook")),
            MESSAGE,
            NOW,
        )
    assert raised.value.permanent
    assert sink.received() == []


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (429, False), (404, True)])
def test_webhook_failures_say_whether_to_retry(
    sink: HttpSink, status: int, permanent: bool
) -> None:
    sink.failing["/hook"] = status
    with pytest.raises(DeliveryError) as raised:
        deliver(settings(), ContactMethod(0, "webhook", sink.url("/hook")), MESSAGE, NOW)
    assert raised.value.permanent is permanent
    assert str(status) in str(raised.value)


def test_slack_incoming_webhook_gets_the_documented_shape(sink: HttpSink) -> None:
    method = ContactMethod(0, "slack", sink.url("/services/T000/B000/XXXX"))
    deliver(settings(), method, MESSAGE, NOW)
    (request,) = sink.received()
    assert request.headers["Content-Type"] == "application/json"
    payload = request.json()
    assert set(payload) == {"text", "blocks"}
    assert payload["text"].startswith(MESSAGE.subject)
    assert [block["type"] for block in payload["blocks"]] == ["header", "section"]
    assert payload["blocks"][1]["text"] == {"type": "mrkdwn", "text": MESSAGE.body}
    assert provider(method) == "slack"


def test_teams_incoming_webhook_gets_a_message_card(sink: HttpSink) -> None:
    deliver(settings(), ContactMethod(0, "teams", sink.url("/webhookb2/x")), MESSAGE, NOW)
    payload = sink.received()[0].json()
    assert payload["@type"] == "MessageCard"
    assert payload["@context"] == "https://schema.org/extensions"
    assert payload["summary"] == payload["title"] == MESSAGE.subject


def test_apprise_urls_deliver_through_apprise(sink: HttpSink) -> None:
    url = f"json://127.0.0.1:{sink.port}/apprise"
    method = ContactMethod(0, "apprise", url)
    deliver(settings(), method, MESSAGE, NOW)
    payload = json.loads(sink.received("/apprise")[0].body)
    assert payload["title"] == MESSAGE.subject and payload["message"] == MESSAGE.body
    assert provider(method) == "apprise:json"


def test_sms_goes_through_the_operators_gateway_template(sink: HttpSink) -> None:
    templates = {"sms": f"json://127.0.0.1:{sink.port}/sms?to={{address}}"}
    deliver(settings(templates=templates), ContactMethod(0, "sms", "+15551234567"), MESSAGE, NOW)
    assert json.loads(sink.received("/sms")[0].body)["message"] == MESSAGE.body


def test_sms_without_a_gateway_is_a_permanent_failure_naming_the_setting() -> None:
    with pytest.raises(DeliveryError) as raised:
        deliver(settings(), ContactMethod(0, "sms", "+15551234567"), MESSAGE, NOW)
    assert raised.value.permanent and "TOCSIN_SMS_URL" in str(raised.value)


def test_apprise_failures_never_show_the_url() -> None:
    secret_url = "json://user:topsecret@127.0.0.1:9/x"
    with pytest.raises(DeliveryError) as raised:
        deliver(settings(), ContactMethod(0, "apprise", secret_url), MESSAGE, NOW)
    assert "topsecret" not in str(raised.value)
    assert not raised.value.permanent


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_MAIL_HOST", "mail.example.com")
    monkeypatch.setenv("TOCSIN_MAIL_SECURITY", "starttls")
    monkeypatch.setenv("TOCSIN_MAIL_PASSWORD", "pw")
    monkeypatch.setenv("TOCSIN_SMS_URL", "twilio://a:b@+1555/{address}")
    loaded = NotifySettings.from_env()
    assert loaded.smtp is not None and loaded.smtp.port == 587
    assert loaded.templates["sms"].startswith("twilio://")
    assert "pw" not in repr(loaded) and "twilio" not in repr(loaded)
