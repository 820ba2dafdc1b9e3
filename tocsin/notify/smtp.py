"""First-class email through an SMTP server."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from tocsin.notify.message import DeliveryError, Message
from tocsin.notify.settings import SmtpSettings

#: SMTP reply codes in this range mean the server will never accept the message.
_PERMANENT = range(500, 600)


def send_email(settings: SmtpSettings | None, to: str, message: Message, timeout: float) -> None:
    if settings is None:
        raise DeliveryError("email is not configured (set TOCSIN_MAIL_HOST)", permanent=True)
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=message.idempotency_key.replace(":", "."))
    email["X-Tocsin-Delivery"] = message.idempotency_key
    email.set_content(message.body)
    send_composed(settings, email, timeout)


def send_composed(settings: SmtpSettings, email: EmailMessage, timeout: float) -> None:
    """Hand a composed mail to the SMTP server; :class:`DeliveryError` when it is not taken."""
    try:
        client: smtplib.SMTP
        if settings.security == "tls":
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.username and settings.password:
                client.login(settings.username, settings.password)
            client.send_message(email)
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(
            f"SMTP server answered {error.smtp_code}", permanent=error.smtp_code in _PERMANENT
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError("SMTP server refused the recipient", permanent=True) from None
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"cannot reach SMTP server: {type(error).__name__}") from None
