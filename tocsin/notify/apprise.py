"""Everything else Apprise supports: SMS and voice gateways, push, Telegram, ntfy, and raw URLs.

A contact method of type ``apprise`` holds an Apprise URL. SMS, voice,
push, Telegram, ntfy and Slack-by-channel contacts hold an address; the
operator's URL template for that type (``TOCSIN_SMS_URL`` and so on) says
which gateway to use, with ``{address}`` replaced by the person's.

Apprise URLs carry credentials: they are never logged or shown; errors name
only the scheme.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import apprise as apprise_lib

from tocsin.notify.message import DeliveryError, Message

# Apprise logs the services it notifies; keep its messages out of Tocsin's logs.
logging.getLogger("apprise").setLevel(logging.CRITICAL)


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
