"""Showing contact methods without their secrets.

Webhook and Apprise URLs often carry credentials (a bot token in the path, a
key in the query). They are shown back as scheme and host only, so a list of
users never leaks a way to post as someone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

HIDDEN = "…"


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not parts.scheme:
        return HIDDEN
    rest = parts.path not in ("", "/") or parts.query or parts.username or parts.password
    return f"{parts.scheme}://{host}{'/' + HIDDEN if rest else ''}"


def redact_contact(method: dict[str, Any]) -> dict[str, Any]:
    shown = dict(method)
    if isinstance(shown.get("url"), str):
        shown["url"] = redact_url(shown["url"])
    return shown
