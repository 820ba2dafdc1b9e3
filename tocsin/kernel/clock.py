"""Time as an input.

Domain code never reads the wall clock and never sleeps: it is handed a
:class:`Clock`. Production uses :class:`SystemClock`; tests use
:class:`FakeClock` and move time forward with :meth:`FakeClock.advance`, which
wakes anything waiting on the clock, so an hour of escalation runs in
milliseconds.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def wait(self, wake: threading.Event, until: datetime) -> None:
        """Block until ``until`` is reached on this clock or ``wake`` is set."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, wake: threading.Event, until: datetime) -> None:
        seconds = (until - self.now()).total_seconds()
        if seconds > 0:
            wake.wait(seconds)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._cond = threading.Condition()

    def now(self) -> datetime:
        with self._cond:
            return self._now

    def set(self, instant: datetime) -> None:
        with self._cond:
            self._now = instant.astimezone(UTC)
            self._cond.notify_all()

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = delta if delta is not None else timedelta(**kwargs)
        with self._cond:
            self._now += step
            self._cond.notify_all()
            return self._now

    def wait(self, wake: threading.Event, until: datetime) -> None:
        # Poll the wake event in short real slices so a set() from another
        # thread is noticed; clock movement is signalled through the condition.
        with self._cond:
            while self._now < until and not wake.is_set():
                self._cond.wait(0.05)


def utc(instant: datetime) -> datetime:
    """Normalise a datetime to aware UTC (naive values are taken as UTC)."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)
