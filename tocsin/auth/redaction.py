"""Showing contact methods and addresses without giving them away.

Webhook and Apprise URLs often carry credentials (a bot token in the path, a
key in the query). They are shown back as scheme and host only, to everyone,
so a list of users never leaks a way to post as someone.

Email addresses, phone numbers and the other addresses people are reached at
are shown in full only to their owner and to admins; everyone else sees them
shortened (``a…@example.com``, ``+44…1234``): enough to tell which one is
meant, not enough to call or write to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

HIDDEN = "…"
#: Trailing digits of a phone number left visible.
PHONE_TAIL = 4
#: Leading characters of a phone number (``+`` and country code) left visible.
PHONE_HEAD = 3
#: Leading characters of any other address (a chat id, a topic) left visible.
ADDRESS_HEAD = 2


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not parts.scheme:
        return HIDDEN
    rest = parts.path not in ("", "/") or parts.query or parts.username or parts.password
    return f"{parts.scheme}://{host}{'/' + HIDDEN if rest else ''}"


def shorten_email(address: str) -> str:
    """``alice@example.com`` as ``a…@example.com``."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return shorten_address(address)
    return f"{local[0]}{HIDDEN}@{domain}"


def shorten_phone(number: str) -> str:
    """``+44 7700 900123`` as ``+44…0123``."""
    compact = "".join(char for char in number if char not in " -().")
    if len(compact) <= PHONE_HEAD + PHONE_TAIL:
        return HIDDEN + compact[-2:]
    return f"{compact[:PHONE_HEAD]}{HIDDEN}{compact[-PHONE_TAIL:]}"


def shorten_address(address: str) -> str:
    """Any other address (a chat id, a channel, a topic): its first characters."""
    if len(address) <= 2 * ADDRESS_HEAD:
        return HIDDEN
    return address[:ADDRESS_HEAD] + HIDDEN


def shorten(kind: str, address: str) -> str:
    """The shortened form of ``address`` of a contact method of type ``kind``."""
    if kind == "email":
        return shorten_email(address)
    if kind in ("sms", "voice"):
        return shorten_phone(address)
    return shorten_address(address)


def redact_contact(method: dict[str, Any], *, full_address: bool) -> dict[str, Any]:
    """``method`` with its URL cut to scheme and host, and its address shortened unless
    ``full_address`` (the caller owns it, or is an admin)."""
    shown = dict(method)
    if isinstance(shown.get("url"), str):
        shown["url"] = redact_url(shown["url"])
    if not full_address and isinstance(shown.get("address"), str):
        shown["address"] = shorten(str(shown.get("type", "")), shown["address"])
    return shown
