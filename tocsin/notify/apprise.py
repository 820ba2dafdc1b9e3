"""Everything else Apprise supports: SMS and voice gateways, push, Telegram, ntfy, and raw URLs.

A contact method of type ``apprise`` holds an Apprise URL. SMS, voice,
push, Telegram, ntfy and Slack-by-channel contacts hold an address; the
operator's URL template for that type (``TOCSIN_SMS_URL`` and so on) says
which gateway to use, with ``{address}`` replaced by the person's.

Apprise URLs carry credentials: they are never logged or shown; errors name
only the scheme. Apprise's own messages are kept out of the logs, and the
request lines its HTTP library (urllib3) logs at debug level lose their path
and query, which hold the token for services such as Telegram
(``/bot<token>/sendMessage``).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import apprise as apprise_lib

from tocsin.auth.redaction import HIDDEN, redact_url
from tocsin.notify.message import DeliveryError, Message

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")
_REQUEST_LINE = re.compile(r"\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /\S*")
_URL_FIELD = re.compile(r"\burl='[^']*'")


def _cut(url: str) -> str:
    try:
        return redact_url(url)
    except ValueError:  # not a URL after all ("http://[" is an invalid IPv6 host)
        return HIDDEN


def redact_log_text(text: str) -> str:
    """``text`` with every URL cut to scheme and host and every request path hidden."""
    text = _URL.sub(lambda found: _cut(found.group(0)), text)
    text = _REQUEST_LINE.sub(lambda found: f"{found.group(1)} /{HIDDEN}", text)
    return _URL_FIELD.sub(f"url='{HIDDEN}'", text)


class RedactRequests(logging.Filter):
    """Rewrites each record's message through :func:`redact_log_text`; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_log_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# Apprise logs the services and people it notifies; keep its messages out of Tocsin's logs.
logging.getLogger("apprise").setLevel(logging.CRITICAL)
for _name in ("apprise", "urllib3.connectionpool", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(RedactRequests())


def gateway_url(kind: str, address: str, templates: dict[str, str]) -> str:
    """The Apprise URL reaching ``address`` by ``kind``, from the operator's template."""
    template = templates.get(kind)
    if template is None:
        variable = f"TOCSIN_{kind.upper()}_URL"
        raise DeliveryError(
            f"no {kind} gateway is configured (set {variable} to an Apprise URL)", permanent=True
        )
    return template.replace("{address}", quote(address, safe="+@"))


def scheme(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else "apprise"


def send_apprise(url: str, message: Message) -> None:
    notifier = apprise_lib.Apprise()
    if not notifier.add(url):
        raise DeliveryError(f"not a usable Apprise URL ({scheme(url)}://…)", permanent=True)
    if not notifier.notify(body=message.body, title=message.subject):
        raise DeliveryError(f"the {scheme(url)} service did not accept the message")
