"""What configuration says about alerting, read once per change and shared by every request.

Ingest runs for every alert, so it must not parse definitions each time.
:class:`AlertingCache` keeps one :class:`Alerting` snapshot per process and
reloads it when the watched definitions change, which it checks with one
aggregate over the ``definitions`` rows of the watched kinds (their count,
newest ``updated_at`` and highest id) at most once a second.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, literal, select
from sqlalchemy.orm import Session

from tocsin.alerts.config_schema import (
    ALERT_POLICY,
    ALERTING_KINDS,
    AUTO_INCIDENT_RULE,
    DEFAULT_POLICY,
    INTEGRATION,
    MAINTENANCE_WINDOW,
    ROUTING_RULE,
    AlertPolicyConfig,
    AutoIncidentRuleConfig,
    IntegrationConfig,
    MaintenanceWindowConfig,
    RoutingRuleConfig,
)
from tocsin.config.organisation import SERVICE, TEAM, ServiceConfig, TeamConfig
from tocsin.config.tables import Definition
from tocsin.db.database import Database
from tocsin.domain.flapping import FlappingPolicy
from tocsin.domain.grouping import GroupingPolicy
from tocsin.domain.matchers import parse_all
from tocsin.domain.routing import AutoIncidentRule, RoutingRule, Urgency
from tocsin.domain.silences import MaintenanceWindow
from tocsin.incidents import configured as incident_definitions
from tocsin.incidents.config_schema import SEVERITY
from tocsin.paging.config_schema import PAGING, PagingConfig, escalation_policy_of

log = logging.getLogger("tocsin.alerts")

WATCHED_KINDS = (*ALERTING_KINDS, SERVICE, SEVERITY, TEAM, PAGING)
#: Seconds a snapshot is used before the definitions' version is checked again.
RECHECK_SECONDS = 1.0
#: Shortest key accepted from an environment variable (generated keys have 32 characters).
MIN_ENV_KEY = 16


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Integration:
    name: str
    config: IntegrationConfig

    @property
    def service(self) -> str:
        return self.config.service

    @property
    def type(self) -> str:
        return self.config.type


@dataclass(frozen=True)
class ServicePolicy:
    grouping: GroupingPolicy = field(default_factory=GroupingPolicy)
    auto_resolve_after: timedelta | None = None
    flapping: FlappingPolicy = field(default_factory=FlappingPolicy)


Version = tuple[int, datetime | None, int | None]


@dataclass(frozen=True)
class Alerting:
    """Everything ingest needs from configuration, as typed values."""

    version: Version
    integrations: dict[str, Integration]
    #: Digests of keys read from environment variables (``key_env``), to integration names.
    env_keys: dict[str, str]
    policies: dict[str, ServicePolicy]
    routing_rules: tuple[RoutingRule, ...]
    auto_incident_rules: tuple[AutoIncidentRule, ...]
    maintenance_windows: tuple[MaintenanceWindow, ...]
    #: Each configured service's escalation policy: its own, its team's or the default (None: none).
    service_policies: dict[str, str | None]
    #: The incident severity critical alerts declare when no auto-incident rule is configured.
    default_incident_level: str

    def policy(self, service: str) -> ServicePolicy:
        return self.policies.get(service) or self.policies.get(DEFAULT_POLICY) or ServicePolicy()


def _rows(session: Session, kind: str) -> list[Definition]:
    query = select(Definition).where(Definition.kind == kind)
    return list(session.scalars(query.order_by(Definition.position, Definition.name)))


_DEFINITIONS: Table = Definition.__table__  # type: ignore[assignment]
#: Core (not ORM) with the kinds inlined: every request runs it, so it must cost little.
_VERSION = select(
    func.count(), func.max(_DEFINITIONS.c.updated_at), func.max(_DEFINITIONS.c.id)
).where(_DEFINITIONS.c.kind.in_([literal(kind) for kind in WATCHED_KINDS]))


def version(session: Session) -> Version:
    row = session.connection().execute(_VERSION).one()
    return int(row[0]), row[1], row[2]


def _policy(spec: dict[str, Any]) -> ServicePolicy:
    config = AlertPolicyConfig.model_validate(spec)
    return ServicePolicy(
        grouping=GroupingPolicy(tuple(config.group_by), config.group_window),
        auto_resolve_after=config.auto_resolve_after,
        flapping=FlappingPolicy(config.flapping.cycles, config.flapping.window),
    )


def _env_keys(integrations: dict[str, Integration]) -> dict[str, str]:
    keys = {}
    for integration in integrations.values():
        name = integration.config.key_env
        if name is None:
            continue
        value = os.environ.get(name, "").strip()
        if len(value) < MIN_ENV_KEY:
            log.warning(
                "integration %s: environment variable %s is unset or shorter than %s characters; "
                "only generated keys work for it",
                integration.name,
                name,
                MIN_ENV_KEY,
            )
            continue
        keys[key_digest(value)] = integration.name
    return keys


def _service_policies(session: Session) -> dict[str, str | None]:
    """Each service's escalation policy: its own, its team's, or the default."""
    teams = {row.name: TeamConfig.model_validate(row.spec) for row in _rows(session, TEAM)}
    paging = _rows(session, PAGING)
    default = (
        PagingConfig.model_validate(paging[0].spec).default_escalation_policy if paging else None
    )
    policies = {}
    for row in _rows(session, SERVICE):
        service = ServiceConfig.model_validate(row.spec)
        team = teams.get(service.team) if service.team is not None else None
        policies[row.name] = escalation_policy_of(service, team, default)
    return policies


def load(session: Session) -> Alerting:
    integrations = {
        row.name: Integration(row.name, IntegrationConfig.model_validate(row.spec))
        for row in _rows(session, INTEGRATION)
    }
    routing = []
    for row in _rows(session, ROUTING_RULE):
        rule = RoutingRuleConfig.model_validate(row.spec)
        routing.append(
            RoutingRule(
                name=row.name,
                matchers=parse_all(rule.matchers),
                service=rule.service,
                escalation_policy=rule.escalation_policy,
                urgency=Urgency(rule.urgency) if rule.urgency else None,
                incident_severity=rule.incident_severity,
            )
        )
    auto = []
    for row in _rows(session, AUTO_INCIDENT_RULE):
        auto_rule = AutoIncidentRuleConfig.model_validate(row.spec)
        auto.append(
            AutoIncidentRule(
                name=row.name,
                incident_severity=auto_rule.incident_severity,
                matchers=parse_all(auto_rule.matchers),
                severities=frozenset(auto_rule.alert_severities),
            )
        )
    windows = []
    for row in _rows(session, MAINTENANCE_WINDOW):
        window = MaintenanceWindowConfig.model_validate(row.spec)
        windows.append(
            MaintenanceWindow(row.name, frozenset(window.services), window.start, window.end)
        )
    scale = incident_definitions.scale(session)
    levels = list(scale)
    default_level = levels[1].level if len(levels) > 1 else levels[0].level
    return Alerting(
        version=version(session),
        integrations=integrations,
        env_keys=_env_keys(integrations),
        policies={row.name: _policy(row.spec) for row in _rows(session, ALERT_POLICY)},
        routing_rules=tuple(routing),
        auto_incident_rules=tuple(auto),
        maintenance_windows=tuple(windows),
        service_policies=_service_policies(session),
        default_incident_level=default_level,
    )


class AlertingCache:
    """The current :class:`Alerting` for one process, reloaded when definitions change.

    The version is checked at most every ``recheck_seconds`` (configuration
    applied elsewhere reaches ingest within that time), or at once when asked
    (a key whose integration the snapshot does not know yet).
    """

    def __init__(self, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._current: Alerting | None = None
        self._checked = 0.0

    def get(self, session: Session, *, recheck: bool = False) -> Alerting:
        current = self._current
        started = time.monotonic()
        if current is not None and not recheck and started - self._checked < self.recheck_seconds:
            return current
        if current is None or current.version != version(session):
            current = load(session)
        with self._lock:
            self._current = current
            self._checked = started
        return current


_caches: weakref.WeakKeyDictionary[Database, AlertingCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(database: Database) -> AlertingCache:
    """The process's snapshot cache for ``database`` (one per open database)."""
    with _caches_lock:
        cache = _caches.get(database)
        if cache is None:
            cache = _caches[database] = AlertingCache()
        return cache
