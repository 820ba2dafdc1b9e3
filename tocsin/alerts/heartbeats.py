"""Heartbeats (dead man's switch): a missing ping raises an alert, the next ping resolves it.

A heartbeat integration expects a ping every ``interval``, with ``grace`` to
spare. Checks are durable jobs (``heartbeat.check``), so a heartbeat keeps
being watched across restarts: each check either finds a recent ping and
queues the next check at the new deadline, or finds the ping overdue and
triggers the alert. At most one check per heartbeat is queued at a time
(``next_check_at`` says when it is due). A heartbeat that has never been
pinged is not watched yet, so creating one does not page before the job
that pings it is set up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import statements
from tocsin.alerts.configured import Alerting, Integration, cache_for
from tocsin.alerts.ingest import Ingest
from tocsin.alerts.tables import Heartbeat
from tocsin.alerts.writer import Origin
from tocsin.domain.alert_lifecycle import Action, Severity, Signal
from tocsin.domain.durations import spoken
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import JobContext

#: The dedup key of a heartbeat's alert within its service.
DEDUP_PREFIX = "heartbeat:"
NEW, UP, DOWN = "new", "up", "down"


@dataclass(frozen=True)
class HeartbeatCheck:
    """Look whether the heartbeat integration named ``integration`` was pinged in time."""

    integration: str


HEARTBEAT_CHECK = JobKind("heartbeat.check", HeartbeatCheck)


def schedule_check(session: Session, integration: str, *, at: datetime, now: datetime) -> bool:
    """Queue the heartbeat's next check at ``at``."""
    return jobs.enqueue(
        session, HEARTBEAT_CHECK, HeartbeatCheck(integration=integration), now=now, run_at=at
    )


def _origin(integration: Integration) -> Origin:
    return Origin(integration.name, integration.service, "heartbeat")


def _locked(session: Session, name: str, now: datetime) -> Heartbeat:
    statements.create_heartbeat(session, name, NEW, now)
    return session.scalars(
        select(Heartbeat).where(Heartbeat.integration == name).with_for_update()
    ).one()


def ping(
    session: Session, alerting: Alerting, integration: Integration, now: datetime
) -> Heartbeat:
    """Record a ping; resolve the heartbeat's alert if it was down; make sure a check is queued."""
    config = integration.config.heartbeat
    assert config is not None, "heartbeat integrations always have heartbeat settings"
    row = _locked(session, integration.name, now)
    was_down = row.status == DOWN
    row.last_ping_at = now
    row.status = UP
    row.updated_at = now
    if was_down:
        writer = Ingest(session, alerting, now)
        writer.apply(
            _origin(integration),
            Signal(
                Action.RESOLVE,
                DEDUP_PREFIX + integration.name,
                note="Heartbeat received again",
            ),
        )
        writer.flush()
    if row.next_check_at is None:
        deadline = now + config.interval + config.grace
        schedule_check(session, integration.name, at=deadline, now=now)
        row.next_check_at = deadline
    return row


def check(session: Session, alerting: Alerting, name: str, now: datetime) -> None:
    """The ``heartbeat.check`` job: alert if the ping is overdue, else check again later."""
    integration = alerting.integrations.get(name)
    row = session.scalar(select(Heartbeat).where(Heartbeat.integration == name).with_for_update())
    if row is None:
        return
    row.next_check_at = None
    row.updated_at = now
    config = integration.config.heartbeat if integration is not None else None
    if integration is None or config is None or row.last_ping_at is None:
        return
    deadline = row.last_ping_at + config.interval + config.grace
    if now < deadline:
        schedule_check(session, name, at=deadline, now=now)
        row.next_check_at = deadline
        return
    if row.status == DOWN:
        return
    row.status = DOWN
    writer = Ingest(session, alerting, now)
    writer.apply(
        _origin(integration),
        Signal(
            Action.TRIGGER,
            DEDUP_PREFIX + name,
            summary=f"Heartbeat {name} missed: no ping since "
            f"{row.last_ping_at:%Y-%m-%d %H:%M:%S} UTC (expected every {spoken(config.interval)}, "
            f"grace {spoken(config.grace)})",
            severity=Severity.ERROR,
            source=name,
            labels={"alertname": "HeartbeatMissed", "heartbeat": name},
            details={
                "last_ping_at": row.last_ping_at.isoformat(),
                "interval_seconds": int(config.interval.total_seconds()),
                "grace_seconds": int(config.grace.total_seconds()),
            },
        ),
    )
    writer.flush()


def heartbeat_check(ctx: JobContext, payload: HeartbeatCheck) -> None:
    """The ``heartbeat.check`` job (:func:`check`)."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        check(session, cache_for(ctx.database).get(session), payload.integration, now)
