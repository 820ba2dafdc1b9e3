"""Sending to subscribers: mail with unsubscribe headers, signed webhooks, chat webhooks.

Mail goes through the SMTP server of ``TOCSIN_MAIL_*``
(:mod:`tocsin.notify.settings`) with the headers a mailing list's mail
carries: ``List-Unsubscribe`` (the unsubscribe link) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so mail
clients offer a one-click unsubscribe button. Its ``Message-ID`` is the same
on every attempt of one delivery.

Webhooks are signed the way Tocsin's own are (``X-Tocsin-Timestamp``,
``X-Tocsin-Signature``, ``X-Tocsin-Delivery``: :mod:`tocsin.notify.webhook`),
with the subscriber's own secret; a 2xx answer within
:data:`WEBHOOK_TIMEOUT_SECONDS` counts as delivered. Slack and Teams
incoming webhooks are posted unsigned: their URL is their secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from tocsin.notify.message import DeliveryError
from tocsin.notify.settings import SmtpSettings
from tocsin.notify.smtp import send_composed
from tocsin.notify.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    post_json,
    signature,
)

WEBHOOK_TIMEOUT_SECONDS = 30.0
#: Headers are not folded into encoded words: a folded List-Unsubscribe URL is unreadable.
_POLICY = SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    #: Unique per delivery, the same on its retries.
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)


def message_id(key: str, sender: str) -> str:
    """A Message-ID made of ``key`` (letters, digits, dots) at the sender's domain."""
    domain = sender.rpartition("@")[2] or "localhost"
    safe = "".join(char if char.isalnum() else "." for char in key)
    return f"<{safe}@{domain}>"


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def composed(settings: SmtpSettings, mail: Mail) -> EmailMessage:
    composed = EmailMessage(policy=_POLICY)
    composed["From"] = settings.sender
    composed["To"] = mail.to
    composed["Subject"] = mail.subject
    composed["Message-ID"] = mail.message_id
    composed["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        composed[name] = value
    composed.set_content(mail.body)
    return composed


def send_mail(settings: SmtpSettings | None, mail: Mail, timeout: float) -> None:
    """Hand ``mail`` to the SMTP server; raise :class:`DeliveryError` when it is not taken."""
    if settings is None:
        raise DeliveryError("email is not configured (set TOCSIN_MAIL_HOST)", permanent=True)
    send_composed(settings, composed(settings, mail), timeout)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def post_signed(
    url: str, payload: dict[str, Any], secret: str, delivery: str, now: datetime
) -> None:
    """POST a webhook payload signed with ``secret``; DeliveryError unless 2xx in time."""
    body = encode(payload)
    timestamp = int(now.timestamp())
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        DELIVERY_HEADER: delivery,
    }
    post_json(url, body, headers, WEBHOOK_TIMEOUT_SECONDS)


def post_chat(url: str, payload: dict[str, Any], timeout: float) -> None:
    """POST a Slack or Teams message to its incoming webhook."""
    post_json(url, encode(payload), {}, timeout)
