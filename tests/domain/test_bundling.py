"""Rate limits per contact method and bundled messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.bundling import (
    DEFAULT_LIMIT,
    PageSummary,
    RateLimit,
    bundle_text,
    limit_for,
    next_free,
    page_text,
)

T0 = datetime(2026, 2, 16, 14, 0, tzinfo=UTC)
THREE = RateLimit(3, timedelta(minutes=15))


def test_under_the_limit_sends_now() -> None:
    assert next_free([T0, T0 + timedelta(minutes=1)], T0 + timedelta(minutes=2), THREE) is None


def test_at_the_limit_waits_until_the_oldest_leaves_the_window() -> None:
    sent = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert next_free(sent, T0 + timedelta(minutes=3), THREE) == T0 + timedelta(minutes=15)
    assert next_free(sent, T0 + timedelta(minutes=15), THREE) is None


def test_sms_and_voice_have_tighter_defaults() -> None:
    assert limit_for("sms", {}).count == 3
    assert limit_for("voice", {}).count == 2
    assert limit_for("webhook", {}) == DEFAULT_LIMIT
    assert limit_for("sms", {"sms": RateLimit(1, timedelta(minutes=5))}).count == 1


def test_a_bundle_lists_every_page_with_its_link() -> None:
    pages = [PageSummary(1, "DB down", "https://t/ack/a"), PageSummary(2, "API slow", None)]
    text = bundle_text(pages)
    assert text.subject == "[Tocsin] 2 pages waiting"
    assert "#1 DB down (acknowledge: https://t/ack/a)" in text.body
    assert "#2 API slow" in text.body
    assert bundle_text(pages[:1]) == page_text(pages[0])


@given(st.lists(st.integers(0, 120), max_size=30), st.integers(1, 5), st.integers(1, 30))
def test_following_next_free_never_exceeds_the_limit(
    offsets: list[int], count: int, window_minutes: int
) -> None:
    limit = RateLimit(count, timedelta(minutes=window_minutes))
    sent: list[datetime] = []
    for offset in sorted(offsets):
        now = T0 + timedelta(minutes=offset)
        if next_free(sent, now, limit) is None:
            sent.append(now)
    for at in sent:
        in_window = [s for s in sent if at - limit.window < s <= at]
        assert len(in_window) <= count
