"""Login throttling: failed logins per user name and per address, and few password checks at once.

A password check is argon2: deliberately slow and memory-hungry. Without a
bound, guessing passwords (or just sending many logins) would take the CPU
that alert ingestion needs. So:

- after ``per_user`` failed logins for one user name within ``window``, logins
  for that name are refused until the oldest of those failures is ``window``
  old; the same with ``per_address`` failures from one client address;
- at most ``concurrent_checks`` password checks run at once; a login that
  finds them all busy is refused at once rather than queued, so logins never
  hold the worker threads that ingestion needs.

Refusals happen before any hashing and before the database is touched. The
counters live in the process (several ``tocsin serve`` processes each count
their own); a successful login clears its user name's failures, not its
address's, so one account of one's own does not reset guessing at others.

Time comes from the caller (``now``): tests move a fake clock.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Scope = Literal["user", "address"]


@dataclass(frozen=True)
class ThrottlePolicy:
    per_user: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    concurrent_checks: int = 2
    #: Keys remembered at most; beyond, the stalest are forgotten first.
    max_keys: int = 10_000


@dataclass(frozen=True)
class Throttled:
    """Logins for this user name (or from this address) are refused for ``retry_after``."""

    scope: Scope
    key: str
    retry_after: timedelta

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds()))

    def sentence(self) -> str:
        """What the person at the login form reads."""
        minutes = math.ceil(self.seconds / 60)
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
        whose = "for this user name" if self.scope == "user" else "from your address"
        return f"Too many failed logins {whose}. Try again in {wait}."


class LoginThrottle:
    """The failure counters and the password-check bound of one process; thread-safe."""

    def __init__(self, policy: ThrottlePolicy | None = None) -> None:
        self.policy = policy or ThrottlePolicy()
        self._failures: dict[tuple[Scope, str], deque[datetime]] = {}
        self._lock = threading.Lock()
        self._checks = threading.BoundedSemaphore(self.policy.concurrent_checks)

    def _limits(self, user: str, address: str | None) -> list[tuple[Scope, str, int]]:
        limits: list[tuple[Scope, str, int]] = [("user", user, self.policy.per_user)]
        if address:
            limits.append(("address", address, self.policy.per_address))
        return limits

    def _recent(self, scope: Scope, key: str, now: datetime) -> deque[datetime] | None:
        found = self._failures.get((scope, key))
        if found is None:
            return None
        while found and found[0] <= now - self.policy.window:
            found.popleft()
        if not found:
            del self._failures[(scope, key)]
            return None
        return found

    def refusal(self, user: str, address: str | None, now: datetime) -> Throttled | None:
        """Why a login for ``user`` from ``address`` is refused now, or None."""
        with self._lock:
            worst: Throttled | None = None
            for scope, key, limit in self._limits(user, address):
                recent = self._recent(scope, key, now)
                if recent is not None and len(recent) >= limit:
                    wait = recent[-limit] + self.policy.window - now
                    if worst is None or wait > worst.retry_after:
                        worst = Throttled(scope, key, wait)
            return worst

    def failed(self, user: str, address: str | None, now: datetime) -> list[Throttled]:
        """Count a failed login; return the throttles it just started (for the audit log)."""
        started: list[Throttled] = []
        with self._lock:
            for scope, key, limit in self._limits(user, address):
                recent = self._recent(scope, key, now) or deque()
                recent.append(now)
                self._failures[(scope, key)] = recent
                if len(recent) == limit:
                    started.append(Throttled(scope, key, recent[0] + self.policy.window - now))
            if len(self._failures) > self.policy.max_keys:
                self._forget(now)
        return started

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(("user", user), None)

    def _forget(self, now: datetime) -> None:
        for scope, key in list(self._failures):
            self._recent(scope, key, now)
        excess = len(self._failures) - self.policy.max_keys // 2
        if excess > 0:
            stalest = sorted(self._failures, key=lambda each: self._failures[each][-1])
            for each in stalest[:excess]:
                del self._failures[each]

    @contextmanager
    def password_check(self) -> Iterator[bool]:
        """Take one of the password-check slots without waiting; yields whether it got one."""
        got = self._checks.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                self._checks.release()
