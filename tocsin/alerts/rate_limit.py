"""Per-key rate limits: a token bucket per integration key, in each process.

A key may send ``per_minute`` requests in a burst, refilled at ``per_minute``
per minute. Buckets live in memory, so with several ``tocsin serve``
processes each enforces the limit on its own share of the traffic. Time comes
from the injected clock, so tests move it instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime

from tocsin.db.database import Database


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, per_minute: int, now: datetime) -> float | None:
        """Spend one request of ``key``'s allowance: None if allowed, else seconds to wait."""
        rate = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(per_minute), now)
            elapsed = max(0.0, (now - bucket.updated).total_seconds())
            bucket.tokens = min(float(per_minute), bucket.tokens + elapsed * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1.0, math.ceil((1.0 - bucket.tokens) / rate))


_limiters: weakref.WeakKeyDictionary[Database, RateLimiter] = weakref.WeakKeyDictionary()
_limiters_lock = threading.Lock()


def limiter_for(database: Database) -> RateLimiter:
    with _limiters_lock:
        limiter = _limiters.get(database)
        if limiter is None:
            limiter = _limiters[database] = RateLimiter()
        return limiter
