"""Handing alert groups to paging: the jobs a group queues for its escalation.

When a group opens (or a suppressed group stops being suppressed) ingest
queues one ``alert_group.opened`` job in the same transaction, with the group
id as its idempotency key, so a group is handed over once however often the
alert is re-sent and whichever process receives it. When a paging group is
acknowledged or resolved, ingest queues ``alert_group.changed``. Paging
handles both kinds (:mod:`tocsin.paging.triggers`, registered by the
composition root); what it reads of the group it reads through
:func:`opened_group` and :func:`group_state`, and it records the hand-over
on the group's history with :func:`record_handed_over`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tocsin.alerts import history, locking, statements
from tocsin.alerts.statements import Events
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.alerts.writer import OPEN, SYSTEM
from tocsin.domain.alert_lifecycle import AlertStatus
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind


@dataclass(frozen=True)
class GroupToPage:
    """``alert_group.opened``: the group is open for paging."""

    group_id: int


@dataclass(frozen=True)
class GroupChanged:
    """``alert_group.changed``: a paging group was ``acknowledged`` or ``resolved``."""

    group_id: int
    change: str


OPENED = JobKind("alert_group.opened", GroupToPage)
CHANGED = JobKind("alert_group.changed", GroupChanged)


def idempotency_key(group_id: int) -> str:
    return f"{OPENED.name}:{group_id}"


def enqueue(session: Session, group_id: int, now: datetime) -> bool:
    """Queue paging for the group unless it was queued before; returns whether it was queued now."""
    return jobs.enqueue(
        session, OPENED, GroupToPage(group_id), now=now, idempotency_key=idempotency_key(group_id)
    )


def changed(session: Session, group_id: int, change: str, now: datetime) -> None:
    """Queue the job that brings the group's escalation into line with ``change``.

    ``change`` is ``acknowledged`` or ``resolved``, each of which happens once
    to a group; the job is keyed by both, so it is queued once.
    """
    jobs.enqueue(
        session,
        CHANGED,
        GroupChanged(group_id, change),
        now=now,
        idempotency_key=f"{CHANGED.name}:{group_id}:{change}",
    )


@dataclass(frozen=True)
class OpenedGroup:
    """What paging is told about a group to page for."""

    group_id: int
    service: str
    title: str
    #: The escalation policy frozen when the group opened (None: the service names none).
    escalation_policy: str | None
    urgency: str
    incident_id: int | None
    opened_at: datetime


def opened_group(session: Session, group_id: int) -> OpenedGroup | None:
    row = statements.opened_group(session, group_id)
    return None if row is None else OpenedGroup(*row)


def group_state(
    session: Session, group_id: int
) -> tuple[datetime | None, datetime | None, str | None] | None:
    """(resolved at, acknowledged at, acknowledged by) of the group; None if it does not exist."""
    row = statements.group_state(session, group_id)
    return None if row is None else (row[0], row[1], row[2])


def record_handed_over(session: Session, group_id: int, now: datetime, handled_by: str) -> None:
    """Say on the group's history that it was opened for paging, and what paging did."""
    history.record(
        session,
        now,
        "paging",
        SYSTEM,
        f"Opened for paging; hooks: {handled_by}",
        group_id=group_id,
        hooks=handled_by,
    )


def acknowledge_group(
    session: Session, group_id: int, *, by: str, now: datetime, how: str, **detail: str
) -> int | None:
    """Acknowledge the group's triggered alerts, then the group (ingest's lock order).

    What paging does when someone answers a page of the group's escalation;
    ``how`` ends each history entry ("Acknowledged through escalation 7").
    Returns the incident the group declared, if it did.
    """
    actor = by[:100]
    # The group's advisory lock first: every writer holding a row lock on one of
    # its alerts holds it (see tocsin.alerts.locking).
    group = session.execute(
        select(AlertGroup.service, AlertGroup.group_key).where(AlertGroup.id == group_id)
    ).first()
    if group is not None:
        locking.take(session, [locking.group_key(group.service, group.group_key)])
    triggered = session.scalars(
        select(Alert.id)
        .where(Alert.group_id == group_id, Alert.status == AlertStatus.TRIGGERED.value)
        .order_by(Alert.id)
        .with_for_update(key_share=True)
    ).all()
    events = Events()
    if triggered:
        session.execute(
            update(Alert)
            .where(Alert.id.in_(triggered))
            .values(
                status=AlertStatus.ACKNOWLEDGED.value,
                acknowledged_at=now,
                acknowledged_by=actor,
                last_event_at=now,
            )
        )
        for alert_id in triggered:
            events.add(
                now,
                "acknowledged",
                by,
                f"Acknowledged {how}",
                alert_id=alert_id,
                group_id=group_id,
                **detail,
            )
    session.execute(
        update(AlertGroup)
        .where(
            AlertGroup.id == group_id,
            AlertGroup.status == OPEN,
            AlertGroup.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=now, acknowledged_by=actor, updated_at=now)
    )
    events.flush(session)
    incident_id: int | None = session.scalar(
        select(AlertGroup.incident_id).where(AlertGroup.id == group_id)
    )
    return incident_id
