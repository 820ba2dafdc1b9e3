"""Throttling people, not requests: per-contact-method rate limits and bundled messages.

Each contact method may carry at most ``count`` messages per sliding
``window`` (GoAlert's default is a handful of SMS per 15 minutes). A
notification that would exceed the limit is held; when the window has room
again, every held notification of that contact method goes out as one
message listing all the pages still waiting. A storm of a hundred alerts
therefore costs a person a few texts, not a hundred.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RateLimit:
    count: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.count < 1 or self.window <= timedelta(0):
            raise ValueError("a rate limit needs a positive count and window")


WINDOW = timedelta(minutes=15)
#: Phones are the scarce channel; the rest still stop a storm from flooding an inbox.
DEFAULT_LIMITS: Mapping[str, RateLimit] = {
    "sms": RateLimit(3, WINDOW),
    "voice": RateLimit(2, WINDOW),
}
DEFAULT_LIMIT = RateLimit(10, WINDOW)


def limit_for(method_type: str, limits: Mapping[str, RateLimit]) -> RateLimit:
    return limits.get(method_type) or DEFAULT_LIMITS.get(method_type) or DEFAULT_LIMIT


def next_free(sent: Sequence[datetime], now: datetime, limit: RateLimit) -> datetime | None:
    """None when one more message may go now; else the instant the window has room again.

    ``sent`` holds when earlier messages to this contact method went out; only
    those within the window count.
    """
    recent = sorted(at for at in sent if now - limit.window < at <= now)
    if len(recent) < limit.count:
        return None
    return recent[-limit.count] + limit.window


@dataclass(frozen=True)
class PageSummary:
    """One page as listed in a message."""

    page_id: int
    title: str
    ack_url: str | None = None


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def page_text(page: PageSummary, *, step_note: str = "") -> Text:
    lines = [page.title]
    if step_note:
        lines.append(step_note)
    if page.ack_url:
        lines.append(f"Acknowledge: {page.ack_url}")
    return Text(f"[Tocsin] Page #{page.page_id}: {page.title}", "\n".join(lines))


def bundle_text(pages: Sequence[PageSummary]) -> Text:
    """One message listing several pages, each with its own acknowledge link."""
    if len(pages) == 1:
        return page_text(pages[0])
    lines = [f"{len(pages)} pages are waiting for you:"]
    for page in pages:
        line = f"- #{page.page_id} {page.title}"
        if page.ack_url:
            line += f" (acknowledge: {page.ack_url})"
        lines.append(line)
    return Text(f"[Tocsin] {len(pages)} pages waiting", "\n".join(lines))
