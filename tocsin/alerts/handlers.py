"""Job handlers for alerts: suppression ends, auto-resolve, heartbeat checks.

Each does its database work inside ``ctx.transaction()``, so it commits once,
together with the job's completion.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tocsin.alerts import heartbeats, timers
from tocsin.alerts.configured import cache_for
from tocsin.alerts.ingest import SYSTEM, Ingest
from tocsin.alerts.tables import Alert
from tocsin.domain.alert_lifecycle import Action, AlertStatus, auto_resolve_at
from tocsin.engine.registry import HandlerRegistry, JobContext


def suppression_ended(ctx: JobContext) -> None:
    with ctx.transaction() as session:
        now = ctx.clock.now()
        writer = Ingest(session, cache_for(ctx.database).get(session), now)
        writer.reconsider(int(ctx.payload["group_id"]))
        writer.flush()


def auto_resolve(ctx: JobContext) -> None:
    alert_id = int(ctx.payload["alert_id"])
    quiet = timedelta(seconds=int(ctx.payload["quiet_seconds"]))
    with ctx.transaction() as session:
        now = ctx.clock.now()
        alert = session.execute(
            select(Alert.status, Alert.last_event_at).where(Alert.id == alert_id).with_for_update()
        ).first()
        if alert is None or alert.status == AlertStatus.RESOLVED:
            return
        due = auto_resolve_at(alert.last_event_at, quiet)
        if now < due:
            timers.auto_resolve(session, alert_id, quiet=quiet, at=due, now=now, first=False)
            return
        writer = Ingest(session, cache_for(ctx.database).get(session), now)
        writer.act(
            alert_id,
            Action.RESOLVE,
            SYSTEM,
            f"Resolved automatically: no events for {quiet}",
        )
        writer.flush()


def heartbeat_check(ctx: JobContext) -> None:
    with ctx.transaction() as session:
        now = ctx.clock.now()
        heartbeats.check(
            session, cache_for(ctx.database).get(session), str(ctx.payload["integration"]), now
        )


def register(registry: HandlerRegistry) -> None:
    registry.register(timers.SUPPRESSION_ENDED, suppression_ended)
    registry.register(timers.AUTO_RESOLVE, auto_resolve)
    registry.register(timers.HEARTBEAT_CHECK, heartbeat_check)
