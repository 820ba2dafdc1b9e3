"""Acknowledging and resolving alerts: from a sender's signal, or by id from a person or a job.

An alert moves as :func:`tocsin.domain.alert_lifecycle.transition` allows.
The first acknowledgement of a group's alert acknowledges the group, and the
last alert resolved resolves it (:func:`tocsin.alerts.groups.settle`); each
tells paging once (``alert_group.changed``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Row, select, update
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from tocsin.alerts import handover, locking
from tocsin.alerts.groups import settle
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.alerts.writer import RESOLVED, Origin, Result, Writer
from tocsin.domain.alert_lifecycle import (
    Action,
    AlertStatus,
    Change,
    Signal,
    dedup_key,
    instant,
    resolution_time,
    transition,
)


def find_open(
    writer: Writer, origin: Origin, service: str, key: str
) -> Row[int, str, int | None] | None:
    """The open alert with ``key`` on ``service``, else one the integration itself opened.

    Locked, after its and its group's advisory locks (:mod:`tocsin.alerts.locking`).
    """
    found = writer.session.scalar(
        select(Alert.id).where(
            Alert.service == service, Alert.dedup_key == key, Alert.status != RESOLVED
        )
    )
    if found is None:
        found = writer.session.scalar(
            select(Alert.id)
            .where(
                Alert.integration == origin.integration,
                Alert.dedup_key == key,
                Alert.status != RESOLVED,
            )
            .order_by(Alert.id)
            .limit(1)
        )
    return None if found is None else _locked(writer, found, Alert.status != RESOLVED)


def _locked(
    writer: Writer, alert_id: int, *where: ColumnElement[bool]
) -> Row[int, str, int | None] | None:
    """Alert ``alert_id``'s id, status and group, locked (None unless ``where`` holds).

    FOR NO KEY UPDATE: a foreign key's check (FOR KEY SHARE) need not wait for it.
    """
    take_locks(writer.session, alert_id)
    return writer.session.execute(
        select(Alert.id, Alert.status, Alert.group_id)
        .where(Alert.id == alert_id, *where)
        .with_for_update(key_share=True)
    ).first()


def take_locks(session: Session, alert_id: int) -> None:
    """Take the advisory locks of the alert and its group (:mod:`tocsin.alerts.locking`).

    Before locking the alert's row: a row lock is only taken under its key's
    lock, in the one global order.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = session.execute(
        select(Alert.service, Alert.dedup_key, AlertGroup.group_key)
        .outerjoin(AlertGroup, AlertGroup.id == Alert.group_id)
        .where(Alert.id == alert_id)
    ).first()
    if keys is not None:
        service, key, group_key = keys
        locks = [locking.alert_key(service, key)]
        if group_key is not None:
            locks.append(locking.group_key(service, group_key))
        locking.take(session, locks)


def dedup_key_of(session: Session, alert_id: int, integration: str) -> str | None:
    """The dedup key of alert ``alert_id``, if ``integration`` sent it (Opsgenie's alert ids)."""
    found: str | None = session.scalar(
        select(Alert.dedup_key).where(Alert.id == alert_id, Alert.integration == integration)
    )
    return found


def signalled(writer: Writer, origin: Origin, signal: Signal, service: str) -> Result:
    """Apply an acknowledging or resolving signal to the open alert it names."""
    key = dedup_key(signal.dedup_key or "")
    row = find_open(writer, origin, service, key)
    status = AlertStatus(row.status) if row is not None else None
    change = transition(status, signal.action)
    if row is None or change is Change.NOTHING:
        return Result(key, Change.NOTHING, row.id if row is not None else None)
    actor = signal.actor or origin.integration
    if change is Change.ACKNOWLEDGE:
        acknowledge(writer, row.id, row.group_id, actor, signal.note)
    else:
        at = _ended(writer, row.id, signal)
        resolve(writer, row.id, row.group_id, actor, signal.note, at)
    return Result(key, change, row.id, row.group_id)


def act(writer: Writer, alert_id: int, action: Action, actor: str, note: str | None) -> Change:
    """Acknowledge or resolve one alert by id, as a person does from the API."""
    row = _locked(writer, alert_id)
    if row is None:
        raise NoResultFound(f"no alert {alert_id}")
    change = transition(AlertStatus(row.status), action)
    if change is Change.ACKNOWLEDGE:
        acknowledge(writer, row.id, row.group_id, actor, note)
    elif change is Change.RESOLVE:
        resolve(writer, row.id, row.group_id, actor, note)
    return change


def acknowledge(
    writer: Writer, alert_id: int, group_id: int | None, actor: str, note: str | None
) -> None:
    session, now = writer.session, writer.now
    session.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(
            status=AlertStatus.ACKNOWLEDGED.value,
            acknowledged_at=now,
            acknowledged_by=actor[:100],
            last_event_at=now,
        )
    )
    writer.events.add(
        now, "acknowledged", actor, note or "Acknowledged", alert_id=alert_id, group_id=group_id
    )
    if group_id is not None:
        first = session.execute(
            update(AlertGroup)
            .where(AlertGroup.id == group_id, AlertGroup.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=actor[:100], updated_at=now)
        )
        if first.rowcount == 1:  # type: ignore[attr-defined]
            handover.changed(session, group_id, "acknowledged", now)


def _ended(writer: Writer, alert_id: int, signal: Signal) -> datetime:
    """When a resolving signal says the alert ended (see :func:`resolution_time`).

    The sender's end time is kept in the alert's details as ``endsAt``.
    """
    ended = instant(signal.ended_at)
    if ended is None:
        return writer.now
    alert = writer.session.execute(
        select(Alert.started_at, Alert.triggered_at, Alert.details).where(Alert.id == alert_id)
    ).one()
    writer.session.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(details={**alert.details, "endsAt": ended.isoformat()})
    )
    start = alert.started_at or instant(signal.started_at) or alert.triggered_at
    return resolution_time(ended, start, writer.now)


def resolve(
    writer: Writer,
    alert_id: int,
    group_id: int | None,
    actor: str,
    note: str | None,
    at: datetime | None = None,
) -> None:
    """Resolve the alert (at ``at``, default now), and its group if it was the last open one."""
    now = writer.now
    writer.session.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(
            status=AlertStatus.RESOLVED.value,
            resolved_at=at or now,
            resolved_by=actor[:100],
            last_event_at=now,
        )
    )
    ended = {"resolved_at": at.isoformat()} if at is not None and at != now else {}
    writer.events.add(
        now,
        "resolved",
        actor,
        note or "Resolved",
        alert_id=alert_id,
        group_id=group_id,
        **ended,
    )
    if group_id is not None:
        settle(writer, group_id)
