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

Before it touches a row, a request takes the locks of every alert and group
its signals may touch (:mod:`tocsin.alerts.locking`), in one global order, so
concurrent requests and batches on PostgreSQL never deadlock. Signals are then
applied in dedup-key order.

:class:`Ingest` routes (1) and hands each signal on: to
:mod:`~tocsin.alerts.triggers` (2-3), which places a new alert in its group
(:mod:`~tocsin.alerts.groups`, 3-4; incidents: :mod:`~tocsin.alerts.auto_incidents`),
or to :mod:`~tocsin.alerts.transitions` (acknowledge and resolve).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.alerts import groups, locking, transitions, triggers
from tocsin.alerts.configured import Alerting
from tocsin.alerts.writer import Origin, Result, Writer
from tocsin.domain import routing
from tocsin.domain.alert_lifecycle import Action, Change, Signal, dedup_key, instant


@dataclass(frozen=True)
class Routed:
    """A signal with where routing sent it; a trigger's dedup key is set (made up if none)."""

    signal: Signal
    route: routing.Route
    match: dict[str, str]


class Ingest(Writer):
    """Applies signals and manual actions within one transaction."""

    def apply(self, origin: Origin, signal: Signal) -> Result:
        """Route ``signal`` and apply it: a trigger, an acknowledgement or a resolution."""
        routed = self.routed(origin, signal)
        locking.take(self.session, self.locks(routed), defer=_upserts_first(routed))
        return self.applied(origin, routed)

    def routed(self, origin: Origin, signal: Signal) -> Routed:
        """Where ``signal`` goes (:func:`tocsin.domain.routing.route`); it touches no row."""
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
            signal = replace(
                signal,
                started_at=instant(signal.started_at),
                dedup_key=signal.dedup_key or uuid.uuid4().hex,
            )
        return Routed(signal, route, match)

    def locks(self, routed: Routed) -> list[int]:
        """The lock of the alert ``routed`` names (:mod:`tocsin.alerts.locking`).

        Its group's lock is taken once the group is needed: a new alert's
        (:func:`tocsin.alerts.groups.place`), an acknowledged or resolved
        alert's. A repeat, most of a storm, touches its alert alone and so
        does not wait for the other alerts of its group.
        """
        signal = routed.signal
        return [locking.alert_key(routed.route.service, dedup_key(signal.dedup_key or ""))]

    def applied(self, origin: Origin, routed: Routed) -> Result:
        """Apply a routed signal, once its locks are held."""
        if routed.signal.action is Action.TRIGGER:
            return triggers.trigger(self, origin, routed.signal, routed.route, routed.match)
        self.settle_bodies()  # a resolution may read and write the alert's details
        return transitions.signalled(self, origin, routed.signal, routed.route.service)

    def note(self, origin: Origin, key: str, text: str, actor: str | None) -> Result:
        """Attach a note to the open alert with ``key`` (Opsgenie's "add note")."""
        row = transitions.find_open(self, origin, origin.service, dedup_key(key))
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
        self.settle_bodies()
        return transitions.act(self, alert_id, action, actor, note)

    def reconsider(self, group_id: int) -> None:
        """Page a held-back group whose suppression has ended, or look again when it will."""
        self.settle_bodies()  # the group's alerts are read as stored
        groups.reconsider(self, group_id)


def _upserts_first(routed: Routed) -> bool:
    """Whether applying ``routed`` starts with the alert upsert, which takes deferred locks.

    A trigger's first statement is :func:`tocsin.alerts.statements.upsert`,
    which takes the locks :func:`tocsin.alerts.locking.take` left to it
    (``defer``) in the same round trip.
    """
    return routed.signal.action is Action.TRIGGER


class Planned:
    """One request's signals, routed, with the locks applying them takes; nothing written yet.

    The group committer plans every request of a batch first and takes all
    their locks at once, in order (:func:`tocsin.alerts.locking.take`), so
    applying them waits for nothing and needs no lock statement of its own.
    """

    def __init__(
        self,
        session: Session,
        alerting: Alerting,
        origin: Origin,
        signals: Sequence[Signal],
        now: datetime,
    ) -> None:
        self.writer = Ingest(session, alerting, now)
        self.origin = origin
        self.routed = [self.writer.routed(origin, signal) for signal in signals]
        #: Signals are applied in dedup-key order.
        self.order = sorted(
            range(len(signals)), key=lambda index: (signals[index].dedup_key or "", index)
        )
        self.locks = [lock for each in self.routed for lock in self.writer.locks(each)]

    def apply(self) -> list[Result]:
        """Apply the signals (taking the locks not already held); results in input order."""
        writer, routed = self.writer, self.routed
        first = routed[self.order[0]] if self.order else None
        locking.take(writer.session, self.locks, defer=first is not None and _upserts_first(first))
        results: dict[int, Result] = {}
        for index in self.order:
            results[index] = writer.applied(self.origin, routed[index])
        writer.flush()
        return [results[index] for index in range(len(routed))]


def ingest(
    session: Session, alerting: Alerting, origin: Origin, signals: Sequence[Signal], now: datetime
) -> list[Result]:
    """Apply ``signals`` from ``origin`` in the caller's transaction; results in input order."""
    return Planned(session, alerting, origin, signals, now).apply()
