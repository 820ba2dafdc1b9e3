"""Alert groups: a new alert joins the group accepting its grouping key, or opens one.

A group that opens and is not held back is handed to paging at once (one
``alert_group.opened`` job, keyed by the group) and may declare an incident
(:mod:`tocsin.alerts.auto_incidents`). A group held back by a silence, a
maintenance window or flapping pages later: the ``alert_group.suppression_ended``
job looks at it again when the hold ends (:func:`reconsider`), and a
not-held-back alert joining it makes it page at once. A group resolves when
none of its alerts is open any more (:func:`settle`).

Opening a group races other writers on the partial unique index of groups
that accept alerts; a writer that keeps losing raises
:class:`GroupCollision`, which the group committer retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tocsin.alerts import auto_incidents, handover, locking, statements, suppression
from tocsin.alerts.committer import Collision
from tocsin.alerts.configured import cache_for
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.alerts.writer import OPEN, RESOLVED, SYSTEM, Opening, Writer
from tocsin.domain import grouping, routing
from tocsin.domain.alert_lifecycle import Severity
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import JobContext

_ATTEMPTS = 3


class GroupCollision(Collision):
    """Opening or joining a group kept colliding with concurrent writers; run it again."""


class _Joinable(NamedTuple):
    id: int
    last_alert_at: datetime
    incident_id: int | None
    paging: bool


def place(
    writer: Writer, opening: Opening, key: str, policy: grouping.GroupingPolicy
) -> tuple[int, bool, int | None]:
    """Join the group accepting this alert's grouping key, or open one.

    Returns the group id, whether it was opened now, and its incident.
    """
    group_key = grouping.group_key(opening.labels, policy, key)
    locking.take(writer.session, [locking.group_key(opening.service, group_key)])
    connection = writer.connection
    for _ in range(_ATTEMPTS):
        found = statements.joinable_group(connection, opening.service, group_key)
        existing = _Joinable(*found) if found is not None else None
        if existing is not None and not grouping.joins(
            existing.last_alert_at, writer.now, policy.window
        ):
            writer.session.execute(
                update(AlertGroup).where(AlertGroup.id == existing.id).values(join_key=None)
            )
            existing = None
        if existing is not None:
            return _join(writer, opening, existing)
        group_id = _insert(writer, opening, group_key, policy)
        if group_id is not None:
            return group_id, True, _opened(writer, opening, group_id)
    raise GroupCollision(f"could not open or join a group for {opening.service}/{key}")


def _insert(
    writer: Writer, opening: Opening, group_key: str, policy: grouping.GroupingPolicy
) -> int | None:
    """Open a group accepting ``group_key``; None if another writer opened one first."""
    held = opening.suppression
    return statements.open_group(
        writer.connection,
        {
            "service": opening.service,
            "group_key": group_key,
            "join_key": group_key,
            "status": OPEN,
            "title": opening.summary,
            "rule": grouping.rule_name(opening.labels, opening.summary),
            "labels": grouping.group_labels(opening.labels, policy),
            "escalation_policy": opening.route.escalation_policy
            or writer.alerting.service_policies.get(opening.service),
            "urgency": opening.route.urgency.value,
            "routing_rule": opening.route.rule,
            "alert_count": 1,
            # Handed to paging at once (see _opened) unless a silence holds it back.
            "paging": held is None,
            "suppressed_by": str(held) if held else None,
            "suppressed_until": held.until if held else None,
            "opened_at": writer.now,
            "last_alert_at": writer.now,
            "updated_at": writer.now,
        },
    )


def _opened(writer: Writer, opening: Opening, group_id: int) -> int | None:
    writer.events.add(
        writer.now,
        "grouped",
        SYSTEM,
        f"Opened group {group_id}",
        alert_id=opening.alert_id,
        group_id=group_id,
    )
    held = opening.suppression
    if held is None:
        handover.enqueue(writer.session, group_id, writer.now)
        return auto_incidents.declare(writer, group_id, opening)
    writer.events.add(
        writer.now, "suppressed", SYSTEM, f"Paging held back by {held}", group_id=group_id
    )
    if held.until is not None:
        check_suppression(writer.session, group_id, at=held.until, now=writer.now)
    return None


def _join(writer: Writer, opening: Opening, group: _Joinable) -> tuple[int, bool, int | None]:
    statements.join_group(writer.connection, group.id, writer.now)
    writer.events.add(
        writer.now,
        "grouped",
        SYSTEM,
        f"Joined group {group.id} without paging again",
        alert_id=opening.alert_id,
        group_id=group.id,
    )
    incident_id = group.incident_id
    if opening.suppression is None and not group.paging:
        writer.events.add(
            writer.now,
            "unsuppressed",
            SYSTEM,
            f"Alert {opening.alert_id} is not held back: the group pages now",
            group_id=group.id,
        )
        incident_id = _activate(writer, group.id, opening)
    elif opening.suppression is None and incident_id is None:
        incident_id = auto_incidents.declare(writer, group.id, opening)
    return group.id, False, incident_id


def _activate(writer: Writer, group_id: int, opening: Opening) -> int | None:
    """Hand the group to paging and declare its incident when the rules say so."""
    handover.enqueue(writer.session, group_id, writer.now)
    statements.start_paging(writer.connection, group_id, writer.now)
    return auto_incidents.declare(writer, group_id, opening)


def settle(writer: Writer, group_id: int) -> None:
    """Resolve the group once none of its alerts is open (the group row is locked first)."""
    session, now = writer.session, writer.now
    group = session.execute(
        select(AlertGroup.status, AlertGroup.incident_id, AlertGroup.acknowledged_at)
        .where(AlertGroup.id == group_id)
        .with_for_update(key_share=True)
    ).one()
    if group.status != OPEN:
        return
    still_open = session.scalar(
        select(func.count())
        .select_from(Alert)
        .where(Alert.group_id == group_id, Alert.status != RESOLVED)
    )
    if still_open:
        return
    result = grouping.outcome(
        became_incident=group.incident_id is not None,
        acknowledged=group.acknowledged_at is not None,
    )
    session.execute(
        update(AlertGroup)
        .where(AlertGroup.id == group_id)
        .values(
            status=RESOLVED,
            join_key=None,
            resolved_at=now,
            outcome=result.value,
            updated_at=now,
        )
    )
    writer.events.add(
        now,
        "group_resolved",
        SYSTEM,
        f"All alerts resolved; outcome: {result.value}",
        group_id=group_id,
        outcome=result.value,
    )
    handover.changed(session, group_id, "resolved", now)


# -- held-back groups ---------------------------------------------------------


@dataclass(frozen=True)
class SuppressionEnded:
    """Look again at a held-back group: the silence or window holding it may have ended."""

    group_id: int


SUPPRESSION_ENDED = JobKind("alert_group.suppression_ended", SuppressionEnded)


def check_suppression(session: Session, group_id: int, *, at: datetime, now: datetime) -> bool:
    """Look at a held-back group again at ``at`` (once per group and instant)."""
    return jobs.enqueue(
        session,
        SUPPRESSION_ENDED,
        SuppressionEnded(group_id=group_id),
        now=now,
        run_at=max(at, now),
        idempotency_key=f"{SUPPRESSION_ENDED.name}:{group_id}:{at.isoformat()}",
    )


def reconsider(writer: Writer, group_id: int) -> None:
    """Page a held-back group whose suppression has ended, or look again when it will."""
    group = writer.session.execute(
        select(AlertGroup.status, AlertGroup.paging)
        .where(AlertGroup.id == group_id)
        .with_for_update(key_share=True)
    ).first()
    if group is None or group.status != OPEN or group.paging:
        return
    alerts = writer.session.scalars(
        select(Alert).where(Alert.group_id == group_id, Alert.status != RESOLVED).order_by(Alert.id)
    ).all()
    latest: datetime | None = None
    for alert in alerts:
        if alert.flapping:
            continue
        opening = _unheld(writer, alert)
        if isinstance(opening, Opening):
            writer.events.add(
                writer.now,
                "unsuppressed",
                SYSTEM,
                "Suppression ended and the group is still open: it pages now",
                group_id=group_id,
            )
            _activate(writer, group_id, opening)
            return
        if opening is not None and (latest is None or opening > latest):
            latest = opening
    if latest is not None:
        writer.session.execute(
            update(AlertGroup).where(AlertGroup.id == group_id).values(suppressed_until=latest)
        )
        check_suppression(writer.session, group_id, at=latest, now=writer.now)


def _unheld(writer: Writer, alert: Alert) -> Opening | datetime | None:
    """The alert's opening if nothing holds it back now, else when its hold ends (if known)."""
    severity = Severity(alert.severity)
    match = routing.match_labels(
        alert.labels,
        service=alert.service,
        integration=alert.integration,
        severity=severity,
        source=alert.source_type,
    )
    held = suppression.held(writer, match, alert.service)
    if held is not None:
        return held.until
    route = routing.route(
        writer.alerting.routing_rules, match, service=alert.service, severity=severity
    )
    return Opening(
        alert_id=alert.id,
        service=alert.service,
        summary=alert.summary,
        severity=severity,
        labels=alert.labels,
        match=match,
        route=route,
        started_at=alert.started_at,
        runbook_url=alert.runbook_url,
        suppression=None,
    )


def suppression_ended(ctx: JobContext, payload: SuppressionEnded) -> None:
    """The ``alert_group.suppression_ended`` job: :func:`reconsider` the group.

    The configuration is read afresh: the hold may have just been shortened (a
    maintenance completed early), and a snapshot a second old would hold the
    group until the old end.
    """
    with ctx.transaction() as session:
        alerting = cache_for(ctx.database).get(session, recheck=True)
        writer = Writer(session, alerting, ctx.clock.now())
        reconsider(writer, payload.group_id)
        writer.flush()
