"""Whether a writer's transactions commit: an outage and its end, logged once each.

The job engine retries every poll interval and the ingest committer with
every request, so an outage of the database (a full disk, a restart) would
otherwise log the same failure many times a second. An :class:`Outage` logs
the first failure (with its traceback) and the first success after it;
failures in between are logged at debug level.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Failing:
    #: When the first failure of this outage happened (None: not known).
    since: datetime | None
    #: What failed, fit to show without authentication (see :func:`cause`).
    cause: str
    #: Failures since it began.
    count: int


def cause(error: BaseException) -> str:
    """The exception's class and the database's own error code, and nothing else.

    No message: a driver's message may name hosts, users, statements or values.
    """
    name = type(error).__name__
    original = getattr(error, "orig", None)
    code = getattr(original, "sqlite_errorname", None) or getattr(original, "sqlstate", None)
    return f"{name} ({code})" if isinstance(code, str) and code else name


class Outage:
    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        #: Failures ever counted (a writer compares it before and after some work).
        self.failures = 0
        self._failing: Failing | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Failing | None:
        """The ongoing outage, or None while transactions commit."""
        return self._failing

    def failed(self, error: BaseException, now: datetime | None = None) -> None:
        with self._lock:
            self.failures += 1
            failing = self._failing
            began = failing is None
            self._failing = Failing(
                now if failing is None else failing.since,
                cause(error),
                1 if failing is None else failing.count + 1,
            )
        if began:
            self.log.error(
                "%s cannot commit: %s; retrying until it can (its recovery will be logged)",
                self.what,
                error,
                exc_info=error,
            )
        else:
            self.log.debug("%s still cannot commit: %s", self.what, error)

    def succeeded(self) -> None:
        if self._failing is None:  # the usual case, without taking the lock
            return
        with self._lock:
            failing, self._failing = self._failing, None
        if failing is not None:
            since = f" since {failing.since.isoformat()}" if failing.since else ""
            self.log.warning(
                "%s recovered: it commits again after %s failed attempt%s%s",
                self.what,
                failing.count,
                "" if failing.count == 1 else "s",
                since,
            )
