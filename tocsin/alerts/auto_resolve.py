"""Auto-resolve: an alert quiet for its service's ``auto_resolve_after`` resolves by itself.

A new alert queues one ``alert.auto_resolve`` check for when it would have
been quiet long enough. The check resolves the alert if it still is quiet,
or, when events arrived since, queues the next check at the new deadline: one
chain of checks per alert, each a durable job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import transitions
from tocsin.alerts.configured import cache_for
from tocsin.alerts.tables import Alert
from tocsin.alerts.writer import SYSTEM, Writer
from tocsin.domain.alert_lifecycle import Action, AlertStatus, auto_resolve_at
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import JobContext


@dataclass(frozen=True)
class AutoResolve:
    """Resolve the alert if it has had no event for ``quiet_seconds``."""

    alert_id: int
    quiet_seconds: int


AUTO_RESOLVE = JobKind("alert.auto_resolve", AutoResolve)


def schedule(
    session: Session, alert_id: int, *, quiet: timedelta, at: datetime, now: datetime, first: bool
) -> bool:
    """Check at ``at`` whether the alert has been quiet for ``quiet``.

    The first check of an alert carries an idempotency key; later ones are
    queued only by the running check itself, so each alert has one chain.
    """
    return jobs.enqueue(
        session,
        AUTO_RESOLVE,
        AutoResolve(alert_id=alert_id, quiet_seconds=int(quiet.total_seconds())),
        now=now,
        run_at=at,
        idempotency_key=f"{AUTO_RESOLVE.name}:{alert_id}" if first else None,
    )


def auto_resolve(ctx: JobContext, payload: AutoResolve) -> None:
    """The ``alert.auto_resolve`` job: resolve the quiet alert, or check again later."""
    alert_id = payload.alert_id
    quiet = timedelta(seconds=payload.quiet_seconds)
    with ctx.transaction() as session:
        now = ctx.clock.now()
        transitions.take_locks(session, alert_id)
        alert = session.execute(
            select(Alert.status, Alert.last_event_at)
            .where(Alert.id == alert_id)
            .with_for_update(key_share=True)
        ).first()
        if alert is None or alert.status == AlertStatus.RESOLVED:
            return
        due = auto_resolve_at(alert.last_event_at, quiet)
        if now < due:
            schedule(session, alert_id, quiet=quiet, at=due, now=now, first=False)
            return
        writer = Writer(session, cache_for(ctx.database).get(session), now)
        transitions.act(
            writer,
            alert_id,
            Action.RESOLVE,
            SYSTEM,
            f"Resolved automatically: no events for {quiet}",
        )
        writer.flush()
