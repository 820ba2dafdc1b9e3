"""Inbound email through the aiosmtpd listener: mail to <key>@<domain> becomes an alert."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import alerts, integration
from tests.conftest import Caller
from tests.support import processes
from tests.support.processes import free_port
from tocsin.alerts import integrations
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.app.service import Tocsin
from tocsin.inbound.email import start_listener
from tocsin.kernel.settings import Settings

DOMAIN = "alerts.example.com"


@pytest.fixture
def smtp_port(tocsin: Tocsin) -> Iterator[int]:
    port = free_port()
    listener = start_listener(tocsin, host="127.0.0.1", port=port, domain=DOMAIN, max_bytes=100_000)
    try:
        yield port
    finally:
        listener.stop()


def mail(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "nagios@monitoring.example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def test_mail_becomes_alerts_deduplicated_and_resolved_by_subject(
    tocsin: Tocsin, client: TestClient, admin: Caller, smtp_port: int
) -> None:
    key = integration(
        client,
        admin,
        "nagios-mail",
        "email",
        email={
            "dedup_pattern": r"Host (\S+) is",
            "resolve_pattern": r"^RECOVERY",
            "severity": "critical",
        },
    )
    address = f"{key}@{DOMAIN}"
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(mail(address, "PROBLEM: Host db-01 is DOWN", "PING CRITICAL - 100% loss"))
        smtp.send_message(mail(address, "PROBLEM: Host db-01 is DOWN again", "still down"))
    [alert] = alerts(tocsin)
    assert (alert.dedup_key, alert.summary, alert.severity) == (
        "db-01",
        "PROBLEM: Host db-01 is DOWN again",
        "critical",
    )
    assert alert.occurrences == 2
    assert alert.details["body"] == "still down"
    assert alert.source == "nagios@monitoring.example.com"
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(mail(address, "RECOVERY: Host db-01 is UP", "PING OK"))
    assert alerts(tocsin)[0].status == "resolved"


def test_unknown_recipients_are_refused_at_rcpt(
    tocsin: Tocsin, client: TestClient, admin: Caller, smtp_port: int
) -> None:
    key = integration(client, admin, "other", "alertmanager")
    for address in (f"{'0' * 32}@{DOMAIN}", f"{key}@{DOMAIN}", f"{key}@elsewhere.example.com"):
        with (
            smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp,
            pytest.raises(smtplib.SMTPRecipientsRefused),
        ):
            smtp.send_message(mail(address, "PROBLEM", "x"))
    assert alerts(tocsin) == []


@pytest.mark.slow
def test_tocsin_serve_runs_the_smtp_listener_when_asked(settings: Settings, tmp_path: Path) -> None:
    setup = Tocsin.open(settings)
    try:
        with setup.database.transaction() as session:
            key = integrations.create(
                session,
                "mail",
                IntegrationConfig(service="checkout", type="email"),
                actor="test",
                now=setup.clock.now(),
            )
    finally:
        setup.close()
    http_port, smtp_port = processes.free_port(), processes.free_port()
    env = processes.environment(settings.database_url, settings.data_dir)
    args = ["serve", "--port", str(http_port), "--smtp-port", str(smtp_port)]
    server = processes.start([*args, "--smtp-domain", DOMAIN], env, tmp_path / "serve.log")
    with processes.running([server]):

        def listening() -> bool:
            try:
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=2) as smtp:
                    return smtp.noop()[0] == 250
            except OSError:
                return False

        processes.wait_for(listening, timeout=30, what="the SMTP listener")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.send_message(mail(f"{key}@{DOMAIN}", "Backup failed on db-01", "exit 1"))
    check = Tocsin.open(settings, upgrade=False)
    try:
        [alert] = alerts(check)
    finally:
        check.close()
    assert (alert.summary, alert.source_type) == ("Backup failed on db-01", "email")


def test_an_integration_made_after_the_definitions_were_read_accepts_mail_at_once(
    tocsin: Tocsin, client: TestClient, admin: Caller, smtp_port: int
) -> None:
    first = integration(client, admin, "first-mail", "email")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(mail(f"{first}@{DOMAIN}", "PROBLEM: one", "x"))
    second = integration(client, admin, "second-mail", "email")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(mail(f"{second}@{DOMAIN}", "PROBLEM: two", "x"))
    assert [alert.integration for alert in alerts(tocsin)] == ["first-mail", "second-mail"]
