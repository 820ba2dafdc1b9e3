"""The outbound heartbeat: while it is healthy, Tocsin pings a dead man's switch.

Tocsin pages people when something else dies; this is how somebody is paged
when Tocsin itself dies. Every ``TOCSIN_HEARTBEAT_INTERVAL_SECONDS`` it calls
``TOCSIN_HEARTBEAT_URL`` (a Healthchecks.io check, a Dead Man's Snitch, an
Opsgenie heartbeat, or another Tocsin's heartbeat integration), but only
while it is ready (:mod:`tocsin.app.readiness`: database answering, engine
committing, no job overdue). A dead process, a failing engine or a stuck
queue stops the pings, and the service at the other end pages when they
stop arriving.

The URL usually carries the secret that identifies the check, so it is
never logged in full: logs show its scheme and host only. Pauses, failed
pings and their ends are logged once each, not at every interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from tocsin import __version__
from tocsin.app.readiness import Readiness
from tocsin.auth.redaction import redact_url
from tocsin.kernel.clock import Clock

log = logging.getLogger("tocsin.heartbeat")
#: Longest a ping may take (shorter intervals cap it at the interval).
MAX_TIMEOUT_SECONDS = 10.0


class Heartbeat:
    def __init__(
        self,
        url: str,
        *,
        interval: timedelta,
        method: str,
        clock: Clock,
        ready: Callable[[], Readiness],
    ) -> None:
        self._url = url
        self.shown_url = redact_url(url)
        self.interval = interval
        self.method = method
        self.clock = clock
        self.ready = ready
        self.timeout = min(MAX_TIMEOUT_SECONDS, interval.total_seconds())
        #: What the last beat did: None (none yet), "sent", "paused" (not ready) or "failed".
        self.outcome: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Heartbeat({self.method} {self.shown_url} every {self.interval})"

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        # The first ping one interval after the start, once the engine has had time to cycle.
        first = self.clock.now() + self.interval
        self._thread = threading.Thread(
            target=self._loop, args=(first,), name="tocsin-heartbeat", daemon=True
        )
        self._thread.start()
        log.info(
            "heartbeat: %s %s every %g s while ready",
            self.method,
            self.shown_url,
            self.interval.total_seconds(),
        )

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def beat(self) -> bool:
        """Ping once if Tocsin is ready; whether the ping was answered with a 2xx."""
        found = self.ready()
        if not found.ok:
            self._became("paused", "heartbeat paused, not ready: %s", "; ".join(found.reasons))
            return False
        try:
            answer = httpx.request(
                self.method,
                self._url,
                timeout=self.timeout,
                headers={"User-Agent": f"Tocsin/{__version__} heartbeat"},
            )
        except httpx.HTTPError as error:
            # Some messages repeat the URL: show it as in every other log line.
            why = f"{type(error).__name__}: {error}".replace(self._url, self.shown_url)
            self._became("failed", "heartbeat to %s failed: %s", self.shown_url, why)
            return False
        if not answer.is_success:
            why = f"HTTP {answer.status_code}"
            self._became("failed", "heartbeat to %s failed: %s", self.shown_url, why)
            return False
        if self.outcome == "paused":
            self._became("sent", "heartbeat resumed: ready again")
        else:
            self._became("sent", "heartbeat to %s is answered again", self.shown_url)
        return True

    def _became(self, outcome: str, message: str, *args: object) -> None:
        """Log a change of outcome, once; a first success is not news."""
        before, self.outcome = self.outcome, outcome
        if outcome == before or (outcome == "sent" and before is None):
            return
        log.log(logging.INFO if outcome == "sent" else logging.WARNING, message, *args)

    def _loop(self, due: datetime) -> None:
        while not self._stop.is_set():
            self.clock.wait(self._stop, due)
            if self._stop.is_set():
                return
            due = self.clock.now() + self.interval  # before the ping, which may take a while
            try:
                self.beat()
            except Exception:  # a bug here must not end the heartbeat for good
                log.exception("heartbeat failed")
