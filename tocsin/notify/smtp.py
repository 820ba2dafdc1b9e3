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
    with SmtpConnection(settings, timeout) as connection:
        connection.send(email)


class SmtpConnection:
    """One connection to the SMTP server, kept open for several mails.

    It connects (and says ``STARTTLS`` and logs in as configured) at the
    first :meth:`send`. A send that fails because the connection broke closes
    it, and the next send connects afresh; a mail the server refused leaves
    the connection usable (smtplib resets the transaction).
    """

    def __init__(self, settings: SmtpSettings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        client: smtplib.SMTP
        if settings.security == "tls":
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=self.timeout)
        try:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.username and settings.password:
                client.login(settings.username, settings.password)
        except BaseException:
            client.close()
            raise
        return client

    def send(self, email: EmailMessage) -> None:
        """Send one mail; :class:`DeliveryError` when the server did not take it."""
        try:
            if self._client is None:
                self._client = self._connect()
            self._client.send_message(email)
        except smtplib.SMTPServerDisconnected as error:
            self._drop()
            raise DeliveryError(f"cannot reach SMTP server: {type(error).__name__}") from None
        except smtplib.SMTPResponseException as error:
            if error.smtp_code in (421, -1):
                self._drop()
            raise DeliveryError(
                f"SMTP server answered {error.smtp_code}", permanent=error.smtp_code in _PERMANENT
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP server refused the recipient", permanent=True) from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise DeliveryError(f"cannot reach SMTP server: {type(error).__name__}") from None

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        """Say QUIT and close; a connection that already broke is just closed."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
