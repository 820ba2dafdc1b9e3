"""Handoff reports: what the outgoing and incoming person of a handoff need, and notes for it.

A handoff job (:mod:`tocsin.oncall.handoff`) stores the report once per
schedule, layer and instant, and queues its delivery to both people
(:mod:`tocsin.oncall.handoff_notices`) in the same transaction. Anyone on the
schedule may leave a note beforehand; the next report on its layer (or on
every layer) carries it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert
from tocsin.db import audit
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.refusals import Invalid
from tocsin.incidents.tables import Incident
from tocsin.oncall import handoff_notices, schedules
from tocsin.oncall.handoff_points import HandoffPoint
from tocsin.oncall.tables import HandoffNote, HandoffReport

#: At most this many incidents, alerts and notes of each kind go into one report.
REPORT_LIMIT = 50


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
        raise Invalid(
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
