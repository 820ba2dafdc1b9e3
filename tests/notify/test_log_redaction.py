"""Apprise deliveries leave no token in the logs, even at debug level."""

from __future__ import annotations

import logging

import pytest

from tests.support.sinks import http_sink
from tocsin.notify.apprise import redact_log_text, send_apprise
from tocsin.notify.message import Message

SECRET = "123456789:AAHsecretBotToken"
MESSAGE = Message(subject="Disk full", body="db-1 is out of space", idempotency_key="k-1")


def test_debug_logs_of_an_apprise_delivery_hold_no_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # Apprise's own messages are silenced by default; an operator may turn them on.
    caplog.set_level(logging.DEBUG, logger="apprise")
    # Explicitly too: a library loaded by another test in this worker may have
    # raised urllib3's level, which would hide the request lines checked below.
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    with http_sink() as sink:
        send_apprise(f"json://127.0.0.1:{sink.port}/bot{SECRET}/sendMessage", MESSAGE)
        assert sink.received(f"/bot{SECRET}/sendMessage")
    assert SECRET not in caplog.text
    # The request is still logged, with its path hidden.
    request_lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "urllib3.connectionpool" and "POST" in record.getMessage()
    ]
    assert request_lines and all('"POST /… HTTP/1.1" 200' in line for line in request_lines)
    apprise_lines = [record.getMessage() for record in caplog.records if record.name == "apprise"]
    assert any("http://127.0.0.1/…" in line for line in apprise_lines)


def test_log_text_keeps_scheme_and_host_only() -> None:
    assert (
        redact_log_text(f"POST URL: https://user:pw@api.telegram.org/bot{SECRET}/x?k=v done")
        == "POST URL: https://api.telegram.org/… done"
    )
    assert redact_log_text(f'host:443 "POST /bot{SECRET}/x HTTP/1.1" 200') == (
        'host:443 "POST /… HTTP/1.1" 200'
    )
    assert redact_log_text(f"Incremented Retry for (url='/bot{SECRET}')") == (
        "Incremented Retry for (url='…')"
    )
    assert redact_log_text("odd http://[broken text") == "odd … text"
    assert redact_log_text("nothing to hide") == "nothing to hide"
