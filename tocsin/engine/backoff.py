"""Retry delays: exponential backoff with jitter, capped."""

from __future__ import annotations

import random
from datetime import timedelta

BASE_SECONDS = 2.0
CAP_SECONDS = 3600.0


def retry_delay(
    attempt: int, rng: random.Random, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS
) -> timedelta:
    """Delay before retry number ``attempt`` (1 = after the first failure).

    The ceiling doubles each attempt up to ``cap``; the delay is drawn from the
    upper half of it so that workers retrying together spread out but never
    retry sooner than half the nominal delay.
    """
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=rng.uniform(ceiling / 2, ceiling))
