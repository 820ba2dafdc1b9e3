"""Reading the alerting keys of configuration files, and checking what they refer to.

``routing_rules`` and ``auto_incident_rules`` are ordered (the first match
decides), so each may be written in one file only; their order in the file
is their ``position``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tocsin.alerts.config_schema import (
    ALERT_POLICY_KIND,
    AUTO_INCIDENT_RULE_KIND,
    DEFAULT_POLICY,
    INTEGRATION_KIND,
    MAINTENANCE_WINDOW_KIND,
    ROUTING_RULE_KIND,
    AlertPolicyConfig,
    AutoIncidentRuleConfig,
    IntegrationConfig,
    MaintenanceWindowConfig,
    RoutingRuleConfig,
)
from tocsin.config.catalog import Catalog, Entry, Kind
from tocsin.config.errors import Level
from tocsin.config.kinds import KindSet, Reader, named_items
from tocsin.config.loader import SourceFile
from tocsin.config.messages import validate_into
from tocsin.config.organisation import SERVICE_KIND
from tocsin.domain.routing import NO_INCIDENT
from tocsin.domain.severity import DEFAULT_SCALE, level_key
from tocsin.incidents.config_schema import SEVERITY_KIND


def _reader(kind: Kind[Any], model: type[BaseModel], what: str, ordered: bool = False) -> Reader:
    """Reads a mapping of ``kind`` by name; an ``ordered`` kind may be written in one file only."""

    def read(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
        if ordered and not catalog.claim_singleton(source, key, f"the {what}s"):
            return
        found = named_items(catalog, source, key, node, f"{what}s")
        for position, (name, data, path) in enumerate(found):
            validated = validate_into(model, data, source, path, catalog.issues)
            entry = Entry(name, validated, source, path, position)
            catalog.add(catalog.entries(kind), what, entry)

    return read


def _severity_labels(catalog: Catalog) -> set[str]:
    severities = catalog.entries(SEVERITY_KIND)
    if severities:
        return set(severities)
    return {level_key(level.level) for level in DEFAULT_SCALE}


def _check_service(catalog: Catalog, entry: Entry[Any], service: str, at: tuple[Any, ...]) -> None:
    if service not in catalog.entries(SERVICE_KIND):
        catalog.issues.append(
            entry.issue(
                f"service {service!r} is not defined in this configuration; its alerts are "
                "recorded under that name, but nothing pages until the service is defined",
                at=at,
                level=Level.WARNING,
            )
        )


def _check_severity(catalog: Catalog, entry: Entry[Any], label: str | None) -> None:
    if label is None or label == NO_INCIDENT:
        return
    known = _severity_labels(catalog)
    if level_key(label) not in known:
        catalog.issues.append(
            entry.issue(
                f"unknown severity {label!r}; expected a configured level or {NO_INCIDENT!r}",
                at=("incident_severity",),
            )
        )


def check_alerting(catalog: Catalog) -> None:
    """Cross-check references from alerting objects to services and severities.

    The escalation policies routing rules name are paging's to check
    (:func:`tocsin.paging.config_kinds.check_routing_rules`).
    """
    for integration in catalog.entries(INTEGRATION_KIND).values():
        if integration.model is not None:
            _check_service(catalog, integration, integration.model.service, ("service",))
    for name, policy in catalog.entries(ALERT_POLICY_KIND).items():
        if name != DEFAULT_POLICY and policy.model is not None:
            _check_service(catalog, policy, name, ())
    for entry in catalog.entries(ROUTING_RULE_KIND).values():
        rule = entry.model
        if rule is None:
            continue
        if rule.service is not None:
            _check_service(catalog, entry, rule.service, ("service",))
        _check_severity(catalog, entry, rule.incident_severity)
    for auto in catalog.entries(AUTO_INCIDENT_RULE_KIND).values():
        if auto.model is not None:
            _check_severity(catalog, auto, auto.model.incident_severity)
    for window in catalog.entries(MAINTENANCE_WINDOW_KIND).values():
        if window.model is not None:
            for index, service in enumerate(window.model.services):
                _check_service(catalog, window, service, ("services", index))


ALERTING_KINDS = KindSet(
    readers={
        "integrations": _reader(INTEGRATION_KIND, IntegrationConfig, "integration"),
        "alert_policies": _reader(ALERT_POLICY_KIND, AlertPolicyConfig, "alert policy"),
        "routing_rules": _reader(
            ROUTING_RULE_KIND, RoutingRuleConfig, "routing rule", ordered=True
        ),
        "auto_incident_rules": _reader(
            AUTO_INCIDENT_RULE_KIND, AutoIncidentRuleConfig, "auto-incident rule", ordered=True
        ),
        "maintenance_windows": _reader(
            MAINTENANCE_WINDOW_KIND, MaintenanceWindowConfig, "maintenance window"
        ),
    },
    checks=(check_alerting,),
)
