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
counts; only one row per rule or service comes back. Whole days come from the
rollups the ``metrics.roll_up`` job keeps (:mod:`tocsin.metrics.rollups`),
the rest of the period from the groups and alerts themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, func, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.alerts.writer import SYSTEM
from tocsin.domain.grouping import AccuracyRow, Outcome, rank_noisy
from tocsin.metrics import conditions, rollups
from tocsin.metrics.filters import Filters
from tocsin.metrics.rollups import Counted, Family
from tocsin.metrics.tables import AlertDay, AlertGroupDay


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


def _outcome(value: Outcome) -> ColumnElement[int]:
    return func.sum((AlertGroup.outcome == value.value).cast(Integer))


def accuracy_counts(filters: Filters) -> Select[*tuple[Any, ...]]:
    """Resolved groups per (service, rule) over ``filters``: groups, alerts, incident,
    acknowledged, noise (the columns of :class:`~tocsin.metrics.tables.AlertGroupDay`)."""
    return (
        select(
            AlertGroup.service,
            AlertGroup.rule,
            func.count(),
            func.sum(AlertGroup.alert_count),
            _outcome(Outcome.INCIDENT),
            _outcome(Outcome.ACKNOWLEDGED),
            _outcome(Outcome.NOISE),
        )
        .where(*conditions.alert_groups(filters))
        .group_by(AlertGroup.service, AlertGroup.rule)
    )


def service_counts(filters: Filters) -> Select[*tuple[Any, ...]]:
    """Alerts per service over ``filters``: alerts, flapping, auto-resolved, resolved by
    Tocsin (the columns of :class:`~tocsin.metrics.tables.AlertDay`)."""
    resolved = Alert.status == "resolved"
    by_tocsin = resolved & (Alert.resolved_by == SYSTEM)
    unattended = resolved & or_(Alert.resolved_by == SYSTEM, Alert.resolved_by == Alert.integration)
    return (
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


#: What the ``metrics.roll_up`` job keeps per day (:mod:`tocsin.metrics.rollups`).
ALERTS = "alerts"
GROUP_DAYS = Counted(
    ALERTS,
    AlertGroupDay,
    accuracy_counts,
    AlertGroup.__table__,  # type: ignore[arg-type]
    "ix_alert_groups_status_opened_at",
)
ALERT_DAYS = Counted(
    ALERTS,
    AlertDay,
    service_counts,
    Alert.__table__,  # type: ignore[arg-type]
    "ix_alerts_triggered_at",
)


def _changed_days(session: Session, since: datetime) -> Iterator[date]:
    """The days of the groups resolved since ``since``, from their opening's to their last
    alert's: a resolved group is final, and its alerts' counts are set by then."""
    rows = session.execute(
        select(AlertGroup.opened_at, AlertGroup.last_alert_at).where(
            AlertGroup.resolved_at >= since
        )
    )
    for opened, last in rows:
        day = opened.astimezone(UTC).date()
        while day <= last.astimezone(UTC).date():
            yield day
            day += timedelta(days=1)


def _first_day(session: Session) -> date | None:
    """The day of the first alert (a group opens with its first alert), if any."""
    first = session.scalar(select(func.min(Alert.triggered_at)))
    return None if first is None else first.astimezone(UTC).date()


FAMILY = Family(ALERTS, (GROUP_DAYS, ALERT_DAYS), _first_day, _changed_days)


def accuracy(session: Session, filters: Filters) -> list[RuleAccuracy]:
    """Every (service, rule) with resolved groups in the period, noisiest first."""
    if filters.nothing_matches:
        return []
    found = rollups.totals(session, GROUP_DAYS, filters)
    rows = [
        AccuracyRow(service, rule, groups, incident, acknowledged, noise)
        for (service, rule), (groups, _, incident, acknowledged, noise) in found.items()
    ]
    return [RuleAccuracy(row, found[(row.service, row.rule)][1]) for row in rank_noisy(rows)]


def services(session: Session, filters: Filters) -> list[ServiceAlerts]:
    """Per service, the alerts triggered in the period: flapping and resolved by no person."""
    if filters.nothing_matches:
        return []
    found = [
        ServiceAlerts(service, *counts)
        for (service,), counts in rollups.totals(session, ALERT_DAYS, filters).items()
    ]
    return sorted(found, key=lambda each: (-each.alerts, each.service))


def alert_quality(session: Session, filters: Filters, *, limit: int) -> AlertQuality:
    """Accuracy (the ``limit`` noisiest rules) and flapping, over the period."""
    rules = accuracy(session, filters)
    return AlertQuality(
        rules=rules[:limit], rule_count=len(rules), services=services(session, filters)
    )
