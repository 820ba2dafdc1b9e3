"""Handoffs: at every handoff a durable job builds and stores the report for both people.

How the jobs are kept in step with schedules
--------------------------------------------
Each (schedule, layer) has a chain of ``oncall.handoff`` jobs, one per handoff
instant, keyed ``oncall.handoff:<schedule id>:<instant>:<layer>`` so that
enqueueing the same handoff twice is a no-op. A handoff job, when it runs:

1. reloads the schedule as it is now and checks that its instant is still a
   handoff on its layer (an edit may have moved it); if so, builds the report
   and stores it (once: reports are unique per schedule, layer and instant),
   queueing its delivery to both people (:mod:`tocsin.oncall.handoff_notices`);
2. enqueues the layer's next handoff after its instant, whether or not it was
   still a handoff, so the chain carries on by itself.

Any change that can move handoffs enqueues an ``oncall.handoff.plan`` job in
the same transaction as the change (transactional outbox): creating or
changing a schedule definition (caught by a session hook, so configuration
apply, the definitions API and anything else that writes a schedule are all
covered), and creating or deleting an override (directly). The plan job
enqueues, for every layer, the first handoff at or after the moment of the
change. Chains started by a plan job and older chains compute their next
instants from the same current schedule, so they meet on the same keys and
continue as one; a job left at an instant that is no longer a handoff finds
that out when it runs and only passes the chain on.

Because jobs live in the database, handoffs survive restarts; a handoff job
running late (the server was down) still reports, and its chain catches up on
at most :data:`CATCH_UP` of missed handoffs before jumping to the present.
Deleting a schedule deletes its reports and ends its chains (their jobs find
no schedule and stop).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert
from tocsin.config.tables import Definition
from tocsin.db import audit
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.engine import jobs
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.engine.tables import Job
from tocsin.incidents.tables import Incident
from tocsin.oncall import handoff_notices, schedules
from tocsin.oncall.config_schema import SCHEDULE
from tocsin.oncall.errors import InvalidInput, NotFound
from tocsin.oncall.handoff_points import LOOKBACK, SEARCH_LIMIT, HandoffPoint, handoff_point
from tocsin.oncall.handoff_points import next_handoff as next_instant
from tocsin.oncall.tables import HandoffNote, HandoffReport

HANDOFF_JOB = "oncall.handoff"
PLAN_JOB = "oncall.handoff.plan"
#: How many missed handoffs a late chain reports before jumping to the present.
CATCH_UP = timedelta(days=7)
#: At most this many incidents, alerts and notes of each kind go into one report.
REPORT_LIMIT = 50


def handoff_key(schedule_id: int, layer: str, at: datetime) -> str:
    return f"{HANDOFF_JOB}:{schedule_id}:{at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}:{layer}"


def _enqueue_handoff(
    session: Session, schedule_id: int, layer: str, at: datetime, now: datetime
) -> None:
    jobs.enqueue(
        session,
        HANDOFF_JOB,
        {"schedule_id": schedule_id, "layer": layer, "at": at.isoformat()},
        now=now,
        run_at=at,
        idempotency_key=handoff_key(schedule_id, layer, at),
    )


def request_plan(session: Session, schedule_id: int, since: datetime) -> None:
    """Queue planning of the handoffs following a change made at ``since`` to a schedule."""
    jobs.enqueue(
        session, PLAN_JOB, {"schedule_id": schedule_id, "since": since.isoformat()}, now=since
    )


def _schedule_written(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: plan handoffs for every schedule definition being created or changed.

    A new row has no id before the flush, so the job (a Job object flushed
    with the row, in the same transaction) names the schedule by name.
    """
    for row in [*session.new, *session.dirty]:
        if not isinstance(row, Definition) or row.kind != SCHEDULE:
            continue
        if row in session.dirty and not session.is_modified(row):
            continue
        since = row.updated_at
        session.add(
            Job(
                kind=PLAN_JOB,
                payload={"schedule": row.name, "since": since.isoformat()},
                run_at=since,
                attempts=0,
                max_attempts=jobs.DEFAULT_MAX_ATTEMPTS,
                state=jobs.PENDING,
                created_at=since,
                updated_at=since,
            )
        )
        session.info[jobs.WAKE_KEY] = True


def _find_schedule(session: Session, payload: dict[str, Any]) -> Definition | None:
    if "schedule_id" in payload:
        row = session.get(Definition, int(payload["schedule_id"]))
        return row if row is not None and row.kind == SCHEDULE else None
    try:
        return schedules.definition(session, str(payload["schedule"]))
    except NotFound:
        return None


def _window(around: datetime) -> tuple[datetime, datetime]:
    """The overrides that can matter to a handoff at ``around`` and the search for the next."""
    return around - LOOKBACK - timedelta(days=1), around + SEARCH_LIMIT + timedelta(days=1)


def plan(ctx: JobContext) -> None:
    """The ``oncall.handoff.plan`` job: enqueue each layer's first handoff from the change on."""
    since = datetime.fromisoformat(str(ctx.payload["since"]))
    with ctx.transaction() as session:
        row = _find_schedule(session, ctx.payload)
        if row is None:
            return
        start = max(since, ctx.clock.now() - CATCH_UP)
        loaded = schedules.load(session, row.name, _window(start))
        now = ctx.clock.now()
        for layer in loaded.layers:
            at = next_instant(loaded.schedule, layer, start, inclusive=True)
            if at is not None:
                _enqueue_handoff(session, row.id, layer, at, now)


def run_handoff(ctx: JobContext) -> None:
    """The ``oncall.handoff`` job: store the report if this is still a handoff, then chain on."""
    at = datetime.fromisoformat(str(ctx.payload["at"]))
    layer = str(ctx.payload["layer"])
    with ctx.transaction() as session:
        row = _find_schedule(session, ctx.payload)
        if row is None:
            return
        loaded = schedules.load(session, row.name, _window(at))
        if layer not in loaded.layers:
            return
        now = ctx.clock.now()
        point = handoff_point(loaded.schedule, layer, at)
        if point is not None:
            store_report(session, row.id, loaded.name, point, now)
        after = max(at, now - CATCH_UP)
        following = next_instant(loaded.schedule, layer, after, inclusive=after != at)
        if following is not None:
            _enqueue_handoff(session, row.id, layer, following, now)


# --- the report ----------------------------------------------------------------


def _when(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(UTC).isoformat()


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "drill": incident.drill,
        "detected_at": _when(incident.detected_at),
    }


def _alert(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "service": alert.service,
        "summary": alert.summary,
        "status": alert.status,
        "severity": alert.severity,
        "triggered_at": _when(alert.triggered_at),
    }


def note_out(note: HandoffNote) -> dict[str, Any]:
    return {
        "id": note.id,
        "layer": note.layer,
        "author": note.author,
        "text": note.text,
        "created_at": _when(note.created_at),
    }


def build_report(
    session: Session, schedule_id: int, schedule: str, point: HandoffPoint
) -> dict[str, Any]:
    """What the outgoing and incoming people need: what happened, what is still open, notes.

    Incidents during the shift are those detected within the report's period;
    open incidents are those still being worked on (triage, responding,
    mitigated), whenever they began; unresolved alerts are triggered or
    acknowledged ones; notes are those left on the schedule for this layer (or
    for every layer) during the period.
    """
    during = session.scalars(
        select(Incident)
        .where(Incident.detected_at >= point.period_start, Incident.detected_at < point.at)
        .order_by(Incident.detected_at, Incident.id)
        .limit(REPORT_LIMIT)
    )
    still_open = session.scalars(
        select(Incident)
        .where(Incident.status.in_([str(status) for status in OPEN_STATUSES]))
        .where(Incident.detected_at < point.at)
        .order_by(Incident.detected_at, Incident.id)
        .limit(REPORT_LIMIT)
    )
    alerts = session.scalars(
        select(Alert)
        .where(Alert.status != "resolved", Alert.triggered_at < point.at)
        .order_by(Alert.triggered_at, Alert.id)
        .limit(REPORT_LIMIT)
    )
    notes = session.scalars(
        select(HandoffNote)
        .where(
            HandoffNote.schedule_id == schedule_id,
            HandoffNote.created_at >= point.period_start,
            HandoffNote.created_at < point.at,
            or_(HandoffNote.layer.is_(None), HandoffNote.layer == point.layer),
        )
        .order_by(HandoffNote.created_at, HandoffNote.id)
        .limit(REPORT_LIMIT)
    )
    return {
        "schedule": schedule,
        "layer": point.layer,
        "at": _when(point.at),
        "outgoing": point.outgoing,
        "incoming": point.incoming,
        "period": {"start": _when(point.period_start), "end": _when(point.at)},
        "incidents_during_shift": [_incident(each) for each in during],
        "open_incidents": [_incident(each) for each in still_open],
        "unresolved_alerts": [_alert(each) for each in alerts],
        "notes": [note_out(each) for each in notes],
    }


def store_report(
    session: Session, schedule_id: int, schedule: str, point: HandoffPoint, now: datetime
) -> None:
    exists = session.scalar(
        select(HandoffReport.id).where(
            HandoffReport.schedule_id == schedule_id,
            HandoffReport.layer == point.layer,
            HandoffReport.at == point.at,
        )
    )
    if exists is not None:
        return
    report = HandoffReport(
        schedule_id=schedule_id,
        layer=point.layer,
        at=point.at,
        outgoing=point.outgoing,
        incoming=point.incoming,
        period_start=point.period_start,
        report=build_report(session, schedule_id, schedule, point),
        created_at=now,
    )
    session.add(report)
    session.flush()
    handoff_notices.queue(session, report, now)


def reports(
    session: Session, schedule: str, *, layer: str | None = None, limit: int = 20
) -> list[HandoffReport]:
    """Stored handoff reports of a schedule, newest first."""
    row = schedules.definition(session, schedule)
    query = (
        select(HandoffReport)
        .where(HandoffReport.schedule_id == row.id)
        .order_by(HandoffReport.at.desc(), HandoffReport.layer)
        .limit(limit)
    )
    if layer is not None:
        query = query.where(HandoffReport.layer == layer)
    return list(session.scalars(query))


def add_note(
    session: Session,
    schedule: str,
    *,
    layer: str | None,
    author: str,
    text: str,
    now: datetime,
    remote_addr: str | None,
) -> HandoffNote:
    """Leave a note for the next handoff on ``layer`` (every layer when None)."""
    loaded = schedules.load(session, schedule, (now, now))
    if layer is not None and layer not in loaded.layers:
        raise InvalidInput(
            "layer",
            f"schedule {schedule!r} has no layer {layer!r}; it has {', '.join(loaded.layers)}",
        )
    note = HandoffNote(schedule_id=loaded.id, layer=layer, author=author, text=text, created_at=now)
    session.add(note)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=author,
        action="oncall.handoff_note.create",
        object_type="schedule",
        object_key=schedule,
        detail={"note": note.id, "layer": layer},
        remote_addr=remote_addr,
    )
    return note


def register(registry: HandlerRegistry) -> None:
    """Register the handoff job handlers and the hook that plans handoffs on schedule writes."""
    registry.register(PLAN_JOB, plan)
    registry.register(HANDOFF_JOB, run_handoff)
    registry.register(handoff_notices.NOTIFY_JOB, handoff_notices.send_report)
    if not event.contains(Session, "before_flush", _schedule_written):
        event.listen(Session, "before_flush", _schedule_written)
