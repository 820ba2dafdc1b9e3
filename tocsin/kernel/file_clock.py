"""A clock several processes share through a file: a test facility, never for production.

Scenario tests start real ``tocsin serve`` processes and move time forward
for all of them at once by rewriting one file holding an ISO 8601 instant
(``TOCSIN_CLOCK_FILE``). Waiting polls the file in short real slices, so a
process notices both the file moving past its deadline and a wake-up from
its own commits; it also returns after a short real while, because the
engine's poll interval (to notice jobs other processes wrote) is meant in
real time and this clock may not move for minutes.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path

from tocsin.kernel.clock import Clock, SystemClock, utc

_POLL_SECONDS = 0.02
#: The longest real time one wait lasts; the engine then looks for new jobs.
_LONGEST_WAIT_SECONDS = 0.2


class FileClock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[float, datetime] | None = None

    def now(self) -> datetime:
        modified = os.stat(self.path).st_mtime_ns
        with self._lock:
            if self._seen is not None and self._seen[0] == modified:
                return self._seen[1]
        instant = utc(datetime.fromisoformat(self.path.read_text().strip()))
        with self._lock:
            self._seen = (modified, instant)
        return instant

    def wait(self, wake: threading.Event, until: datetime) -> None:
        deadline = time.monotonic() + _LONGEST_WAIT_SECONDS
        while self.now() < until and not wake.is_set() and time.monotonic() < deadline:
            wake.wait(_POLL_SECONDS)

    @staticmethod
    def write(path: Path, instant: datetime) -> None:
        """Move every process reading ``path`` to ``instant`` (atomically: write, then rename)."""
        temporary = path.with_suffix(".tmp")
        temporary.write_text(utc(instant).isoformat())
        os.replace(temporary, path)


def clock_for(path: Path | None) -> Clock:
    """The clock a scenario's processes share through ``path`` (``TOCSIN_CLOCK_FILE``), or
    the system's when there is none: what the server and the commands that act as it use."""
    return FileClock(path) if path is not None else SystemClock()
