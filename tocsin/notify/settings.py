"""Delivery settings, read from the environment in this one place.

Outgoing mail uses ``TOCSIN_MAIL_*``: ``TOCSIN_SMTP_*`` configures the
*inbound* email listener of ``tocsin serve`` (alerts by email).

========================  ==========================================================
``TOCSIN_PUBLIC_URL``      Base of links in messages (acknowledge links); default
                           ``http://127.0.0.1:8080``.
``TOCSIN_MAIL_HOST``       SMTP server for email; email is unavailable without it.
``TOCSIN_MAIL_PORT``       Default 25 (587 with STARTTLS, 465 with TLS).
``TOCSIN_MAIL_FROM``       Sender address; default ``tocsin@localhost``.
``TOCSIN_MAIL_USERNAME``   Optional login, with ``TOCSIN_MAIL_PASSWORD``.
``TOCSIN_MAIL_SECURITY``   ``none`` (default), ``starttls`` or ``tls``.
``TOCSIN_WEBHOOK_SECRET``  Key of the HMAC-SHA256 signature on outgoing webhooks;
                           webhooks are unavailable without it.
``TOCSIN_SMS_URL``         Apprise URL template for SMS, with ``{address}`` where the
                           phone number goes (``twilio://SID:TOKEN@+15550000/{address}``).
``TOCSIN_VOICE_URL``       The same for voice calls.
``TOCSIN_PUSH_URL``        The same for push (``ntfys://ntfy.sh/{address}``, ``pover://...``).
``TOCSIN_TELEGRAM_URL``    The same for Telegram (``tgram://BOT_TOKEN/{address}``).
``TOCSIN_SLACK_URL``       The same for Slack channels named by address.
``TOCSIN_NTFY_URL``        The same for ntfy topics; default ``ntfys://ntfy.sh/{address}``.
``TOCSIN_DELIVERY_TIMEOUT``  Seconds one delivery may take; default 10.
``TOCSIN_DELIVERY``        ``send`` (default): deliver for real; ``outbox``: record every
                           message in the outbox instead of sending it, and count it as
                           sent (the default of ``tocsin serve --demo``).
========================  ==========================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
_TEMPLATES = {
    "sms": "TOCSIN_SMS_URL",
    "voice": "TOCSIN_VOICE_URL",
    "push": "TOCSIN_PUSH_URL",
    "telegram": "TOCSIN_TELEGRAM_URL",
    "slack": "TOCSIN_SLACK_URL",
    "ntfy": "TOCSIN_NTFY_URL",
}
_DEFAULT_TEMPLATES = {"ntfy": "ntfys://ntfy.sh/{address}"}
#: Delivery modes: send for real, or record in the outbox.
SEND, OUTBOX = "send", "outbox"
DELIVERY_MODES = (SEND, OUTBOX)


def delivery_mode(value: str) -> str:
    """A ``TOCSIN_DELIVERY`` value checked; ValueError names the variable."""
    mode = value.strip().lower() or SEND
    if mode not in DELIVERY_MODES:
        raise ValueError(
            f"TOCSIN_DELIVERY must be one of {', '.join(DELIVERY_MODES)}, got {value!r}"
        )
    return mode


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "none"


@dataclass(frozen=True)
class NotifySettings:
    public_url: str = DEFAULT_PUBLIC_URL
    smtp: SmtpSettings | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    #: Apprise URL templates by contact method type, each with ``{address}``.
    templates: dict[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 10.0
    #: ``send`` or ``outbox`` (see ``TOCSIN_DELIVERY``).
    delivery: str = SEND

    @property
    def outbox(self) -> bool:
        """Whether messages go to the outbox instead of being sent."""
        return self.delivery == OUTBOX

    @classmethod
    def from_env(cls) -> NotifySettings:
        env = os.environ
        host = env.get("TOCSIN_MAIL_HOST")
        security = env.get("TOCSIN_MAIL_SECURITY", "none").lower()
        default_port = {"starttls": "587", "tls": "465"}.get(security, "25")
        smtp = (
            SmtpSettings(
                host=host,
                port=int(env.get("TOCSIN_MAIL_PORT", default_port)),
                sender=env.get("TOCSIN_MAIL_FROM", "tocsin@localhost"),
                username=env.get("TOCSIN_MAIL_USERNAME") or None,
                password=env.get("TOCSIN_MAIL_PASSWORD") or None,
                security=security,
            )
            if host
            else None
        )
        templates = dict(_DEFAULT_TEMPLATES)
        templates.update({kind: env[name] for kind, name in _TEMPLATES.items() if env.get(name)})
        return cls(
            public_url=env.get("TOCSIN_PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/"),
            smtp=smtp,
            webhook_secret=env.get("TOCSIN_WEBHOOK_SECRET") or None,
            templates=templates,
            timeout=float(env.get("TOCSIN_DELIVERY_TIMEOUT", "10")),
            delivery=delivery_mode(env.get("TOCSIN_DELIVERY", SEND)),
        )
