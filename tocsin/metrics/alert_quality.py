"""Alert quality: which rules page for nothing, and which services flap or resolve alone.

**Accuracy**, per service and rule (the first alert's ``alertname``, else its
summary): the alert groups opened in the period that have resolved, by what
they turned out to be when they resolved (:class:`tocsin.domain.grouping.Outcome`):
an incident (declared or joined one), acknowledged by someone, or noise
(resolved with nobody touching it). A group is what pages, so it is the unit;
``alerts`` is how many alerts those groups held. Rules are ranked noisiest
first (:func:`tocsin.domain.grouping.rank_noisy`: most noise, then lowest
precision).

**Flapping and auto-resolved**, per service: the alerts triggered in the
period; ``flapping`` those opened too often to page again
(:mod:`tocsin.domain.flapping`); ``auto_resolved`` those resolved by no person:
by their sender's resolve signal or by Tocsin's own quiet timer
(``auto_resolve_after``), of which ``resolved_by_tocsin`` by the timer.

Groups and alerts linked to a drill are left out. The database groups and
counts; only one row per rule or service comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, func, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.alerts.writer import SYSTEM
from tocsin.domain.grouping import AccuracyRow, Outcome, rank_noisy
from tocsin.metrics import conditions
from tocsin.metrics.filters import Filters


@dataclass(frozen=True)
class RuleAccuracy:
    row: AccuracyRow
    #: Alerts the groups held.
    alerts: int


@dataclass(frozen=True)
class ServiceAlerts:
    service: str
    alerts: int
    flapping: int
    auto_resolved: int
    resolved_by_tocsin: int


@dataclass(frozen=True)
class AlertQuality:
    #: Noisiest first, at most the limit asked for.
    rules: list[RuleAccuracy]
    #: How many (service, rule) pairs there were before the limit.
    rule_count: int
    #: Most alerts first.
    services: list[ServiceAlerts]


def accuracy(session: Session, filters: Filters) -> list[RuleAccuracy]:
    """Every (service, rule) with resolved groups in the period, noisiest first."""
    if filters.nothing_matches:
        return []

    def outcome(value: Outcome) -> ColumnElement[int]:
        return func.sum((AlertGroup.outcome == value.value).cast(Integer))

    query = (
        select(
            AlertGroup.service,
            AlertGroup.rule,
            func.count(),
            func.sum(AlertGroup.alert_count),
            outcome(Outcome.INCIDENT),
            outcome(Outcome.ACKNOWLEDGED),
            outcome(Outcome.NOISE),
        )
        .where(*conditions.alert_groups(filters))
        .group_by(AlertGroup.service, AlertGroup.rule)
    )
    alerts: dict[tuple[str, str], int] = {}
    rows = []
    for service, rule, groups, held, incident, acknowledged, noise in session.execute(query):
        alerts[(service, rule)] = int(held or 0)
        rows.append(
            AccuracyRow(
                service,
                rule,
                int(groups),
                int(incident or 0),
                int(acknowledged or 0),
                int(noise or 0),
            )
        )
    return [RuleAccuracy(row, alerts[(row.service, row.rule)]) for row in rank_noisy(rows)]


def services(session: Session, filters: Filters) -> list[ServiceAlerts]:
    """Per service, the alerts triggered in the period: flapping and resolved by no person."""
    if filters.nothing_matches:
        return []
    resolved = Alert.status == "resolved"
    by_tocsin = resolved & (Alert.resolved_by == SYSTEM)
    unattended = resolved & or_(Alert.resolved_by == SYSTEM, Alert.resolved_by == Alert.integration)
    query = (
        select(
            Alert.service,
            func.count(),
            func.sum(Alert.flapping.cast(Integer)),
            func.sum(unattended.cast(Integer)),
            func.sum(by_tocsin.cast(Integer)),
        )
        .where(*conditions.alerts(filters))
        .group_by(Alert.service)
    )
    found = [
        ServiceAlerts(service, int(count), int(flapping or 0), int(alone or 0), int(timer or 0))
        for service, count, flapping, alone, timer in session.execute(query)
    ]
    return sorted(found, key=lambda each: (-each.alerts, each.service))


def alert_quality(session: Session, filters: Filters, *, limit: int) -> AlertQuality:
    """Accuracy (the ``limit`` noisiest rules) and flapping, over the period."""
    rules = accuracy(session, filters)
    return AlertQuality(
        rules=rules[:limit], rule_count=len(rules), services=services(session, filters)
    )
