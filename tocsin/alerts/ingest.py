"""Ingest: signals in, alerts and groups out, with their jobs, in the caller's transaction.

One request is one transaction: when the caller commits, every alert of the
request is stored, its history written, its group opened or joined, its
incident declared and its paging job queued; when anything fails, nothing
is. That is what lets a 2xx answer mean "committed".

The steps for a trigger, all on indexed queries:

1. route the signal (service, escalation policy, urgency, incident severity);
2. upsert the alert on the partial unique index (service, dedup key) among
   open alerts: a new alert, or one more occurrence of the open one;
3. for a new alert: check flapping, silences and maintenance windows, then
   join the group that accepts its grouping key or open a new one;
4. a new group that is not held back queues exactly one paging job (keyed by
   the group id) and declares an incident when the auto-incident rules say so.

Signals of one request are applied in dedup-key order, so concurrent requests
on PostgreSQL lock rows in the same order.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Row, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tocsin.alerts import handover, history, silences, statements, timers
from tocsin.alerts.committer import Conflict
from tocsin.alerts.configured import Alerting
from tocsin.alerts.history import Events
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.db.prepared import prepare
from tocsin.domain import alert_body, grouping, routing
from tocsin.domain.alert_body import Body
from tocsin.domain.alert_lifecycle import (
    Action,
    AlertStatus,
    Change,
    Severity,
    Signal,
    dedup_key,
    instant,
    resolution_time,
    summary_text,
    transition,
)
from tocsin.domain.flapping import FlappingPolicy, is_flapping, lookback
from tocsin.domain.refusals import Refusal
from tocsin.domain.silences import Silence, Suppression, SuppressionKind, suppression
from tocsin.incidents import declaring
from tocsin.incidents.editing import Actor

log = logging.getLogger("tocsin.alerts")

SYSTEM = "tocsin"
OPEN = "open"
RESOLVED = "resolved"
_TITLE_LENGTH = 200
_GROUP_ATTEMPTS = 3


@dataclass(frozen=True)
class Origin:
    """Where signals come from: the integration, its service, and its type."""

    integration: str
    service: str
    source_type: str


@dataclass(frozen=True)
class Result:
    dedup_key: str
    change: Change
    alert_id: int | None
    group_id: int | None = None
    opened_group: bool = False


@dataclass(frozen=True)
class _Opening:
    """What a new alert brings to its group."""

    alert_id: int
    service: str
    summary: str
    severity: Severity
    labels: Mapping[str, str]
    match: Mapping[str, str]
    route: routing.Route
    started_at: datetime | None
    runbook_url: str | None
    suppression: Suppression | None


class _Upserted(NamedTuple):
    id: int
    occurrences: int
    group_id: int | None
    #: The body as stored (for a new alert: as just inserted).
    body: Body


class _Joinable(NamedTuple):
    id: int
    last_alert_at: datetime
    incident_id: int | None
    paging: bool


class GroupUnavailable(Conflict):
    """Opening or joining a group kept colliding with concurrent writers; retry the request."""


class Ingest:
    """Applies signals and manual actions within one transaction."""

    def __init__(self, session: Session, alerting: Alerting, now: datetime) -> None:
        self.session = session
        self.alerting = alerting
        self.now = now
        #: Core statements run on the connection itself, skipping the ORM session's layers.
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name
        batch = history.deferred(session)
        #: Inside a committer batch the batch inserts the events; otherwise :meth:`flush` does.
        self.events = batch if batch is not None else Events()
        self._owns_events = batch is None

    # -- entry points --------------------------------------------------------

    def apply(self, origin: Origin, signal: Signal) -> Result:
        match = routing.match_labels(
            signal.labels,
            service=origin.service,
            integration=origin.integration,
            severity=signal.severity,
            source=origin.source_type,
        )
        route = routing.route(
            self.alerting.routing_rules, match, service=origin.service, severity=signal.severity
        )
        match["__service__"] = route.service
        if signal.action is Action.TRIGGER:
            signal = replace(signal, started_at=instant(signal.started_at))
            return self._trigger(origin, signal, route, match)
        return self._update(origin, signal, route.service)

    def note(self, origin: Origin, key: str, text: str, actor: str | None) -> Result:
        """Attach a note to the open alert with ``key`` (Opsgenie's "add note")."""
        row = self._find_open(origin, origin.service, dedup_key(key))
        if row is None:
            return Result(key, Change.NOTHING, None)
        self.events.add(
            self.now,
            "note",
            actor or origin.integration,
            text,
            alert_id=row.id,
            group_id=row.group_id,
        )
        return Result(key, Change.NOTHING, row.id, row.group_id)

    def act(self, alert_id: int, action: Action, actor: str, note: str | None = None) -> Change:
        """Acknowledge or resolve one alert by id, as a person does from the API."""
        row = self.session.execute(
            select(Alert.id, Alert.status, Alert.group_id)
            .where(Alert.id == alert_id)
            .with_for_update()
        ).one()
        change = transition(AlertStatus(row.status), action)
        if change is Change.ACKNOWLEDGE:
            self._acknowledge(row.id, row.group_id, actor, note)
        elif change is Change.RESOLVE:
            self._resolve(row.id, row.group_id, actor, note)
        return change

    def flush(self) -> None:
        if self._owns_events:
            self.events.flush(self.session)

    # -- triggers -------------------------------------------------------------

    def _trigger(
        self, origin: Origin, signal: Signal, route: routing.Route, match: dict[str, str]
    ) -> Result:
        key = dedup_key(signal.dedup_key) if signal.dedup_key else uuid.uuid4().hex
        summary = summary_text(signal.summary) or key
        row = self._upsert(origin, signal, route, key, summary)
        sent = alert_body.sent(summary, signal)
        if row.occurrences > 1:
            changed = alert_body.merged(row.body, sent).changes(row.body)
            if changed:
                prepare(self.connection, statements.update_body(tuple(changed))).run(
                    self.connection, {"alert": row.id, **changed}
                )
            self.events.add(
                self.now,
                "repeated",
                origin.integration,
                f"Triggered again ({row.occurrences} occurrences)",
                alert_id=row.id,
                occurrences=row.occurrences,
                payload=sent.payload(),
            )
            return Result(key, Change.REPEAT, row.id, row.group_id)
        self.events.add(
            self.now,
            "triggered",
            origin.integration,
            summary,
            alert_id=row.id,
            severity=signal.severity.value,
            source=origin.source_type,
            payload=sent.payload(),
        )
        policy = self.alerting.policy(route.service)
        held: Suppression | None
        flapping = self._flapping(route.service, key, row.id, policy.flapping)
        if flapping:
            held = Suppression(SuppressionKind.FLAPPING, key, None)
            self.events.add(
                self.now,
                "flapping",
                SYSTEM,
                f"Flapping: opened at least {policy.flapping.cycles} times within "
                f"{policy.flapping.window}; it will not page again until it settles",
                alert_id=row.id,
            )
        else:
            held = suppression(
                self._active_silences(),
                self.alerting.maintenance_windows,
                match,
                route.service,
                self.now,
            )
            if held is not None:
                self.events.add(
                    self.now, "suppressed", SYSTEM, f"Paging held back by {held}", alert_id=row.id
                )
        opening = _Opening(
            alert_id=row.id,
            service=route.service,
            summary=summary,
            severity=signal.severity,
            labels=signal.labels,
            match=match,
            route=route,
            started_at=signal.started_at,
            runbook_url=signal.runbook_url,
            suppression=held,
        )
        group_id, opened, incident_id = self._group(opening, key, policy.grouping)
        prepare(self.connection, statements.PLACE_ALERT).run(
            self.connection,
            {
                "alert": row.id,
                "group_id": group_id,
                "incident_id": incident_id,
                "flapping": flapping,
                "suppressed_by": str(held) if held else None,
            },
        )
        if policy.auto_resolve_after is not None:
            timers.auto_resolve(
                self.session,
                row.id,
                quiet=policy.auto_resolve_after,
                at=self.now + policy.auto_resolve_after,
                now=self.now,
                first=True,
            )
        return Result(key, Change.OPEN, row.id, group_id, opened)

    def _upsert(
        self, origin: Origin, signal: Signal, route: routing.Route, key: str, summary: str
    ) -> _Upserted:
        params = {
            "service": route.service,
            "dedup_key": key,
            "status": AlertStatus.TRIGGERED.value,
            "severity": signal.severity.value,
            "summary": summary,
            "integration": origin.integration,
            "source_type": origin.source_type,
            "source": signal.source[:255],
            "labels": dict(signal.labels),
            "annotations": dict(signal.annotations),
            "details": dict(signal.details),
            "links": [dict(link) for link in signal.links],
            "runbook_url": signal.runbook_url,
            "occurrences": 1,
            "flapping": False,
            "urgency": route.urgency.value,
            "started_at": signal.started_at,
            "triggered_at": self.now,
            "last_event_at": self.now,
        }
        row = prepare(self.connection, statements.upsert_alert(self.dialect)).first(
            self.connection, params
        )
        assert row is not None, "an upsert always returns its row"
        return _Upserted(row[0], row[1], row[2], Body(*row[3:]))

    def _flapping(self, service: str, key: str, alert_id: int, policy: FlappingPolicy) -> bool:
        earlier = prepare(self.connection, statements.EARLIER_OPENINGS).all(
            self.connection,
            {
                "service": service,
                "dedup_key": key,
                "since": lookback(self.now, policy),
                "alert": alert_id,
                "cycles": policy.cycles,
            },
        )
        return is_flapping([row[0] for row in earlier], self.now, policy)

    def _active_silences(self) -> list[Silence]:
        return silences.active_in_transaction(self.session, self.now)

    # -- groups ---------------------------------------------------------------

    def _group(
        self, opening: _Opening, key: str, policy: grouping.GroupingPolicy
    ) -> tuple[int, bool, int | None]:
        """Join the group accepting this alert's grouping key, or open one.

        Returns the group id, whether it was opened now, and its incident.
        """
        group_key = grouping.group_key(opening.labels, policy, key)
        for _ in range(_GROUP_ATTEMPTS):
            found = prepare(self.connection, statements.JOINABLE_GROUP).first(
                self.connection, {"service": opening.service, "join_key": group_key}
            )
            existing = _Joinable(*found) if found is not None else None
            if existing is not None and not grouping.joins(
                existing.last_alert_at, self.now, policy.window
            ):
                self.session.execute(
                    update(AlertGroup).where(AlertGroup.id == existing.id).values(join_key=None)
                )
                existing = None
            if existing is not None:
                return self._join(opening, existing.id, existing.paging, existing.incident_id)
            held = opening.suppression
            inserted = prepare(self.connection, statements.insert_group(self.dialect)).first(
                self.connection,
                {
                    "service": opening.service,
                    "group_key": group_key,
                    "join_key": group_key,
                    "status": OPEN,
                    "title": opening.summary,
                    "rule": grouping.rule_name(opening.labels, opening.summary),
                    "labels": grouping.group_labels(opening.labels, policy),
                    "escalation_policy": opening.route.escalation_policy
                    or self.alerting.service_policies.get(opening.service),
                    "urgency": opening.route.urgency.value,
                    "routing_rule": opening.route.rule,
                    "alert_count": 1,
                    # Handed to paging at once (see _opened) unless a silence holds it back.
                    "paging": held is None,
                    "suppressed_by": str(held) if held else None,
                    "suppressed_until": held.until if held else None,
                    "opened_at": self.now,
                    "last_alert_at": self.now,
                    "updated_at": self.now,
                },
            )
            if inserted is not None:
                group_id: int = inserted[0]
                return group_id, True, self._opened(opening, group_id)
        raise GroupUnavailable(f"could not open or join a group for {opening.service}/{key}")

    def _opened(self, opening: _Opening, group_id: int) -> int | None:
        self.events.add(
            self.now,
            "grouped",
            SYSTEM,
            f"Opened group {group_id}",
            alert_id=opening.alert_id,
            group_id=group_id,
        )
        held = opening.suppression
        if held is None:
            handover.enqueue(self.session, group_id, self.now)
            return self._declare(group_id, opening)
        self.events.add(
            self.now, "suppressed", SYSTEM, f"Paging held back by {held}", group_id=group_id
        )
        if held.until is not None:
            timers.check_suppression(self.session, group_id, at=held.until, now=self.now)
        return None

    def _join(
        self, opening: _Opening, group_id: int, group_pages: bool, incident_id: int | None
    ) -> tuple[int, bool, int | None]:
        prepare(self.connection, statements.JOIN_GROUP).run(
            self.connection, {"group": group_id, "now": self.now}
        )
        self.events.add(
            self.now,
            "grouped",
            SYSTEM,
            f"Joined group {group_id} without paging again",
            alert_id=opening.alert_id,
            group_id=group_id,
        )
        if opening.suppression is None and not group_pages:
            self.events.add(
                self.now,
                "unsuppressed",
                SYSTEM,
                f"Alert {opening.alert_id} is not held back: the group pages now",
                group_id=group_id,
            )
            incident_id = self._activate(group_id, opening)
        elif opening.suppression is None and incident_id is None:
            incident_id = self._declare(group_id, opening)
        return group_id, False, incident_id

    def _activate(self, group_id: int, opening: _Opening) -> int | None:
        """Hand the group to paging and declare its incident when the rules say so."""
        handover.enqueue(self.session, group_id, self.now)
        prepare(self.connection, statements.START_PAGING).run(
            self.connection, {"group_id": group_id, "now": self.now}
        )
        return self._declare(group_id, opening)

    def _declare(self, group_id: int, opening: _Opening) -> int | None:
        level = routing.incident_severity(
            self.alerting.auto_incident_rules,
            opening.match,
            opening.severity,
            routed=opening.route.incident_severity,
            default_level=self.alerting.default_incident_level,
        )
        if level is None:
            return None
        links = []
        if opening.runbook_url and opening.runbook_url.startswith(("http://", "https://")):
            links.append({"kind": "runbook", "url": opening.runbook_url, "title": "Runbook"})
        started = opening.started_at
        new = declaring.NewIncident(
            title=opening.summary[:_TITLE_LENGTH],
            severity=level,
            summary=f"Declared from alert group {group_id} on {opening.service}.",
            source="alert",
            detected_at=self.now,
            impact_started_at=min(started, self.now) if started else None,
            services=[opening.service],
            links=links,
        )
        try:
            with self.session.begin_nested():
                incident = declaring.declare(self.session, new, Actor(SYSTEM), self.now)
        except (Refusal, SQLAlchemyError) as error:
            log.warning("alert group %s: no incident declared: %s", group_id, error)
            self.events.add(
                self.now,
                "incident",
                SYSTEM,
                f"No incident declared ({level}): {error}",
                group_id=group_id,
            )
            return None
        self.session.execute(
            update(AlertGroup)
            .where(AlertGroup.id == group_id)
            .values(incident_id=incident.id, updated_at=self.now)
        )
        self.session.execute(
            update(Alert).where(Alert.group_id == group_id).values(incident_id=incident.id)
        )
        self.events.add(
            self.now,
            "incident",
            SYSTEM,
            f"Declared {incident.reference} ({level})",
            group_id=group_id,
            incident_id=incident.id,
            severity=level,
        )
        return incident.id

    # -- acknowledge and resolve ----------------------------------------------

    def _find_open(
        self, origin: Origin, service: str, key: str
    ) -> Row[int, str, int | None] | None:
        """The open alert with ``key`` on ``service``, else one the integration itself opened."""
        columns = (Alert.id, Alert.status, Alert.group_id)
        found = self.session.execute(
            select(*columns)
            .where(Alert.service == service, Alert.dedup_key == key, Alert.status != RESOLVED)
            .with_for_update()
        ).first()
        if found is None:
            found = self.session.execute(
                select(*columns)
                .where(
                    Alert.integration == origin.integration,
                    Alert.dedup_key == key,
                    Alert.status != RESOLVED,
                )
                .order_by(Alert.id)
                .limit(1)
                .with_for_update()
            ).first()
        return found

    def _update(self, origin: Origin, signal: Signal, service: str) -> Result:
        key = dedup_key(signal.dedup_key or "")
        row = self._find_open(origin, service, key)
        status = AlertStatus(row.status) if row is not None else None
        change = transition(status, signal.action)
        if row is None or change is Change.NOTHING:
            return Result(key, Change.NOTHING, row.id if row is not None else None)
        actor = signal.actor or origin.integration
        if change is Change.ACKNOWLEDGE:
            self._acknowledge(row.id, row.group_id, actor, signal.note)
        else:
            at = self._ended(row.id, signal)
            self._resolve(row.id, row.group_id, actor, signal.note, at)
        return Result(key, change, row.id, row.group_id)

    def _acknowledge(
        self, alert_id: int, group_id: int | None, actor: str, note: str | None
    ) -> None:
        self.session.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(
                status=AlertStatus.ACKNOWLEDGED.value,
                acknowledged_at=self.now,
                acknowledged_by=actor[:100],
                last_event_at=self.now,
            )
        )
        self.events.add(
            self.now,
            "acknowledged",
            actor,
            note or "Acknowledged",
            alert_id=alert_id,
            group_id=group_id,
        )
        if group_id is not None:
            first = self.session.execute(
                update(AlertGroup)
                .where(AlertGroup.id == group_id, AlertGroup.acknowledged_at.is_(None))
                .values(acknowledged_at=self.now, acknowledged_by=actor[:100], updated_at=self.now)
            )
            if first.rowcount == 1:  # type: ignore[attr-defined]
                handover.changed(self.session, group_id, "acknowledged", self.now)

    def _ended(self, alert_id: int, signal: Signal) -> datetime:
        """When a resolving signal says the alert ended (see :func:`resolution_time`).

        The sender's end time is kept in the alert's details as ``endsAt``.
        """
        ended = instant(signal.ended_at)
        if ended is None:
            return self.now
        alert = self.session.execute(
            select(Alert.started_at, Alert.triggered_at, Alert.details).where(Alert.id == alert_id)
        ).one()
        self.session.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(details={**alert.details, "endsAt": ended.isoformat()})
        )
        start = alert.started_at or instant(signal.started_at) or alert.triggered_at
        return resolution_time(ended, start, self.now)

    def _resolve(
        self,
        alert_id: int,
        group_id: int | None,
        actor: str,
        note: str | None,
        at: datetime | None = None,
    ) -> None:
        self.session.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(
                status=AlertStatus.RESOLVED.value,
                resolved_at=at or self.now,
                resolved_by=actor[:100],
                last_event_at=self.now,
            )
        )
        ended = {"resolved_at": at.isoformat()} if at is not None and at != self.now else {}
        self.events.add(
            self.now,
            "resolved",
            actor,
            note or "Resolved",
            alert_id=alert_id,
            group_id=group_id,
            **ended,
        )
        if group_id is not None:
            self._settle(group_id)

    def _settle(self, group_id: int) -> None:
        """Resolve the group once none of its alerts is open (the group row is locked first)."""
        group = self.session.execute(
            select(AlertGroup.status, AlertGroup.incident_id, AlertGroup.acknowledged_at)
            .where(AlertGroup.id == group_id)
            .with_for_update()
        ).one()
        if group.status != OPEN:
            return
        still_open = self.session.scalar(
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
        self.session.execute(
            update(AlertGroup)
            .where(AlertGroup.id == group_id)
            .values(
                status=RESOLVED,
                join_key=None,
                resolved_at=self.now,
                outcome=result.value,
                updated_at=self.now,
            )
        )
        self.events.add(
            self.now,
            "group_resolved",
            SYSTEM,
            f"All alerts resolved; outcome: {result.value}",
            group_id=group_id,
            outcome=result.value,
        )
        handover.changed(self.session, group_id, "resolved", self.now)

    # -- held-back groups -----------------------------------------------------

    def reconsider(self, group_id: int) -> None:
        """Page a held-back group whose suppression has ended, or look again when it will."""
        group = self.session.execute(
            select(AlertGroup).where(AlertGroup.id == group_id).with_for_update()
        ).scalar_one_or_none()
        if group is None or group.status != OPEN or group.paging:
            return
        alerts = self.session.scalars(
            select(Alert)
            .where(Alert.group_id == group_id, Alert.status != RESOLVED)
            .order_by(Alert.id)
        ).all()
        latest: datetime | None = None
        for alert in alerts:
            if alert.flapping:
                continue
            severity = Severity(alert.severity)
            match = routing.match_labels(
                alert.labels,
                service=alert.service,
                integration=alert.integration,
                severity=severity,
                source=alert.source_type,
            )
            held = suppression(
                self._active_silences(),
                self.alerting.maintenance_windows,
                match,
                alert.service,
                self.now,
            )
            if held is None:
                self.events.add(
                    self.now,
                    "unsuppressed",
                    SYSTEM,
                    "Suppression ended and the group is still open: it pages now",
                    group_id=group_id,
                )
                route = routing.route(
                    self.alerting.routing_rules, match, service=alert.service, severity=severity
                )
                opening = _Opening(
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
                self._activate(group_id, opening)
                return
            if held.until is not None and (latest is None or held.until > latest):
                latest = held.until
        if latest is not None:
            group.suppressed_until = latest
            timers.check_suppression(self.session, group_id, at=latest, now=self.now)


def ingest(
    session: Session, alerting: Alerting, origin: Origin, signals: Sequence[Signal], now: datetime
) -> list[Result]:
    """Apply ``signals`` from ``origin`` in the caller's transaction; results in input order."""
    writer = Ingest(session, alerting, now)
    order = sorted(range(len(signals)), key=lambda index: (signals[index].dedup_key or "", index))
    results: dict[int, Result] = {}
    for index in order:
        results[index] = writer.apply(origin, signals[index])
    writer.flush()
    return [results[index] for index in range(len(signals))]
