"""Queueing the static export: its job kind, and how a burst of changes makes one job.

Kept apart from :mod:`tocsin.statuspage.export` (which renders the pages and
handles the job) so that the code making changes need not import the code
reading them. A change queues the job of its :data:`COALESCE_SECONDS`
window, keyed by the window and due :data:`SETTLE_SECONDS` after it closes:
a burst of changes is exported once or twice, not once per change. Each
export queues the next one in the window that closes :data:`REFRESH_SECONDS`
on (the same key as a change in that window), so today's uptime moves on the
copy too, and a change whose transaction ended after its window's export
read the pages is written within that time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.kernel.settings import StatusExportSettings

#: Changes committed within one window of this many seconds are exported by one job.
COALESCE_SECONDS = 2
#: How long after its window closes the job runs: time for the window's transactions to end.
SETTLE_SECONDS = 1
#: Each export queues the next this long after, to keep the copy's uptime bars current.
REFRESH_SECONDS = 300


@dataclass(frozen=True)
class Export:
    """Export the public pages as they are when the job runs."""

    #: "change" (queued by a change) or "refresh" (queued by the previous export).
    cause: str = "change"


EXPORT = JobKind("statuspage.export", Export)


def window_end(now: datetime, seconds: int) -> datetime:
    """The end of the ``seconds``-long window (counted from the epoch) holding ``now``."""
    epoch = int(now.timestamp()) // seconds * seconds + seconds
    return datetime.fromtimestamp(epoch, UTC)


def key(closes: datetime) -> str:
    return f"{EXPORT.name}:{closes.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def queue(session: Session, now: datetime, *, cause: str = "change") -> bool:
    """Export once ``session`` commits, together with the other changes of its window.

    Nothing is queued unless ``TOCSIN_STATUS_EXPORT_DIR`` is set. Returns
    whether a job was written (False: the window's job already was).
    """
    if not StatusExportSettings.from_env().enabled:
        return False
    closes = window_end(now, REFRESH_SECONDS if cause == "refresh" else COALESCE_SECONDS)
    return jobs.enqueue(
        session,
        EXPORT,
        Export(cause),
        now=now,
        run_at=closes + timedelta(seconds=SETTLE_SECONDS),
        idempotency_key=key(closes),
    )


def definitions_written(
    session: Session, names: Sequence[str], written_at: datetime, now: datetime
) -> None:
    """The status page's configuration changed (a definition reaction): export it."""
    queue(session, now)
