"""Inbound email: mail to ``<integration-key>@<domain>`` becomes an alert.

``tocsin serve --smtp-port 2525 --smtp-domain alerts.example.com`` runs an
SMTP listener (aiosmtpd) beside the HTTP server. The recipient's local part
is an email integration's key; other recipients are refused at ``RCPT TO``
with 550, so a sender learns at once that an address is wrong. The subject
becomes the summary and the text body the details; the dedup key is the
subject, or what the integration's ``dedup_pattern`` picks out of it, and a
subject matching ``resolve_pattern`` resolves the alert.

The listener answers ``250`` only after the alert is committed; when the
database is unavailable it answers ``451`` (try again later), so mail servers
keep the message and retry instead of losing it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from tocsin.alerts import integrations
from tocsin.alerts.config_schema import EmailConfig
from tocsin.alerts.configured import cache_for
from tocsin.alerts.receive import (
    Received,
    Throttled,
    Unavailable,
    UnknownKey,
    in_transaction,
    receive,
)
from tocsin.alerts.runtime import AlertsRuntime
from tocsin.domain import untrusted
from tocsin.domain.alert_lifecycle import Action, Signal

log = logging.getLogger("tocsin.inbound.email")

TYPES = ("email",)
MAX_BODY_TEXT = 20_000
T = TypeVar("T")


def _text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    text = content if isinstance(content, str) else ""
    if part.get_content_subtype() == "html":
        text = re.sub(r"<[^>]+>", " ", text)
    return text.strip()[:MAX_BODY_TEXT]


def dedup_key(subject: str, pattern: str | None) -> str:
    if pattern is not None:
        found = re.search(pattern, subject)
        if found is not None:
            picked = found.group(1) if found.groups() and found.group(1) else found.group(0)
            if picked.strip():
                return picked.strip()
    return subject


def _header(message: EmailMessage, name: str) -> str:
    """A header as safe text: raw 8-bit bytes come back from parsing as lone surrogates."""
    return untrusted.text(str(message.get(name, "")))


def signals(config: EmailConfig | None, message: EmailMessage) -> list[Signal]:
    settings = config or EmailConfig()
    subject = " ".join(_header(message, "subject").split()) or "(no subject)"
    body = untrusted.text(_text_body(message))
    resolves = settings.resolve_pattern is not None and re.search(settings.resolve_pattern, subject)
    sender = parseaddr(_header(message, "from"))[1]
    return [
        Signal(
            action=Action.RESOLVE if resolves else Action.TRIGGER,
            dedup_key=dedup_key(subject, settings.dedup_pattern),
            summary=subject,
            severity=settings.severity,
            source=sender,
            labels={"sender": sender} if sender else {},
            annotations={"description": body[:2000]} if body else {},
            details={
                "from": _header(message, "from"),
                "to": _header(message, "to"),
                "date": _header(message, "date"),
                "message_id": _header(message, "message-id"),
                "body": body,
            },
            note="Resolved by email" if resolves else None,
        )
    ]


def parse(content: bytes) -> EmailMessage:
    parsed = message_from_bytes(content, policy=default)
    assert isinstance(parsed, EmailMessage), "the default policy builds EmailMessage objects"
    return parsed


class MailHandler:
    """aiosmtpd handler: check recipients, turn each accepted message into alerts."""

    def __init__(self, tocsin: AlertsRuntime, domain: str | None) -> None:
        self.tocsin = tocsin
        self.domain = domain.lower() if domain else None

    async def _blocking(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, work)

    def _known(self, key: str) -> bool:
        def work(session: Any) -> bool:
            cache = cache_for(self.tocsin.database)
            alerting = cache.get(session)
            name = integrations.key_owner(session, alerting, key)
            if name is not None and name not in alerting.integrations:
                # Made a moment ago, after this process last read the definitions.
                alerting = cache.get(session, recheck=True)
            found = alerting.integrations.get(name) if name is not None else None
            return found is not None and found.type in TYPES

        return in_transaction(self.tocsin, work)

    def _deliver(self, key: str, message: EmailMessage) -> Callable[[], Received]:
        def deliver() -> Received:
            return receive(
                self.tocsin,
                key,
                TYPES,
                lambda integration: signals(integration.config.email, message),
            )

        return deliver

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        local, _, domain = untrusted.text(address).rpartition("@")
        if self.domain is not None and domain.lower() != self.domain:
            return "550 5.1.2 Recipient domain not accepted here"
        try:
            known = await self._blocking(lambda: self._known(local))
        except Unavailable:
            return "451 4.3.0 Temporarily unavailable, try again later"
        if not known:
            return "550 5.1.1 No such integration"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content or "").encode()
        message = parse(raw)
        for address in envelope.rcpt_tos:
            try:
                key = untrusted.text(address).rpartition("@")[0]
                await self._blocking(self._deliver(key, message))
            except UnknownKey:
                return "550 5.1.1 No such integration"
            except Throttled:
                return "451 4.7.1 Rate limit reached, try again later"
            except Unavailable:
                log.exception("mail to %s could not be stored; the sender will retry", address)
                return "451 4.3.0 Temporarily unavailable, try again later"
        return "250 OK: alert recorded"


def start_listener(
    tocsin: AlertsRuntime, *, host: str, port: int, domain: str | None, max_bytes: int
) -> Controller:
    """Start the SMTP listener in its own thread; stop it with ``.stop()``."""
    controller = Controller(
        MailHandler(tocsin, domain),
        hostname=host,
        port=port,
        data_size_limit=max_bytes,
        server_hostname=domain or None,
    )
    controller.start()
    return controller
