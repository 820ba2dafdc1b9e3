"""Whether this Tocsin can do its job: the checks behind ``/readyz`` and the outbound heartbeat.

Ready means: the database answers, its schema is at the newest migration,
the job engine runs and its cycles commit (when this process runs one; the
other ``tocsin serve`` workers leave it to those that do), and no job is
overdue by more than ``TOCSIN_READY_OVERDUE_SECONDS`` (an engine that runs but cannot keep
up, or whose threads are all stuck, pages nobody either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from tocsin.db import migrate
from tocsin.db.outage import cause
from tocsin.engine import jobs

if TYPE_CHECKING:
    from tocsin.app.service import Tocsin


@dataclass(frozen=True)
class Readiness:
    #: Each part's state, by name: database, migrations, engine, jobs.
    checks: dict[str, str] = field(default_factory=dict)
    #: Why it is not ready, for people; empty when it is.
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons


def readiness(tocsin: Tocsin) -> Readiness:
    found = Readiness()
    checks, reasons = found.checks, found.reasons
    database = tocsin.database
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        current = migrate.is_current(database.engine)
        checks["migrations"] = "current" if current else "pending"
        if not current:
            reasons.append("database schema is not at the newest migration; run tocsin db upgrade")
        else:
            with database.sessions() as session:
                upcoming = jobs.next_events(session)
            late = _overdue(upcoming, tocsin.clock.now(), tocsin.settings.ready_overdue_seconds)
            checks["jobs"] = "overdue" if late else "on time"
            if late:
                reasons.append(late)
    except Exception as exc:
        checks["database"] = "unreachable"
        reasons.append(f"database unreachable: {cause(exc)}")
    engine = tocsin.engine
    failing = engine.failing
    if not tocsin.runs_engine:  # other processes run the jobs; "jobs" above says if on time
        checks["engine"] = "elsewhere"
    elif not engine.running:
        checks["engine"] = "stopped"
        reasons.append("job engine is not running")
    elif failing is not None:
        checks["engine"] = "failing"
        since = f" since {failing.since.isoformat()}" if failing.since else ""
        attempts = f"{failing.count} failed attempt{'' if failing.count == 1 else 's'}"
        reasons.append(f"job engine cannot commit: {failing.cause}, {attempts}{since}")
    else:
        checks["engine"] = "running"
        if engine.last_cycle is None:
            reasons.append("job engine has not started its first cycle")
    return found


def _overdue(
    upcoming: tuple[datetime | None, datetime | None], now: datetime, seconds: float
) -> str | None:
    """Why jobs are late (one should have run more than ``seconds`` ago), or None."""
    due, expiry = upcoming
    cutoff = now - timedelta(seconds=seconds)
    if due is not None and due < cutoff:
        return (
            f"jobs are overdue: the oldest pending job was due at {due.isoformat()}, "
            f"more than {seconds:g} s ago"
        )
    if expiry is not None and expiry < cutoff:
        return (
            f"jobs are overdue: a running job's lease ran out at {expiry.isoformat()}, "
            f"more than {seconds:g} s ago, and no worker took it over"
        )
    return None
