"""Durable timers for alerts: jobs that look at something again later.

- ``alert_group.suppression_ended``: when the silence or maintenance window
  holding a group back ends, page if the group is still open;
- ``alert.auto_resolve``: resolve an alert that has been quiet for its
  service's ``auto_resolve_after``;
- ``heartbeat.check``: raise an alert when a heartbeat's ping is overdue.

Each is a row in the jobs table written in the transaction that sets it, so
timers survive restarts; their handlers are in :mod:`tocsin.alerts.handlers`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.engine import jobs

SUPPRESSION_ENDED = "alert_group.suppression_ended"
AUTO_RESOLVE = "alert.auto_resolve"
HEARTBEAT_CHECK = "heartbeat.check"


def check_suppression(session: Session, group_id: int, *, at: datetime, now: datetime) -> bool:
    """Look at a held-back group again at ``at`` (once per group and instant)."""
    return jobs.enqueue(
        session,
        SUPPRESSION_ENDED,
        {"group_id": group_id},
        now=now,
        run_at=max(at, now),
        idempotency_key=f"{SUPPRESSION_ENDED}:{group_id}:{at.isoformat()}",
    )


def auto_resolve(
    session: Session, alert_id: int, *, quiet: timedelta, at: datetime, now: datetime, first: bool
) -> bool:
    """Check at ``at`` whether the alert has been quiet for ``quiet``.

    The first check of an alert carries an idempotency key; later ones are
    queued only by the running check itself, so each alert has one chain.
    """
    return jobs.enqueue(
        session,
        AUTO_RESOLVE,
        {"alert_id": alert_id, "quiet_seconds": int(quiet.total_seconds())},
        now=now,
        run_at=at,
        idempotency_key=f"{AUTO_RESOLVE}:{alert_id}" if first else None,
    )


def heartbeat_check(session: Session, integration: str, *, at: datetime, now: datetime) -> bool:
    return jobs.enqueue(session, HEARTBEAT_CHECK, {"integration": integration}, now=now, run_at=at)
