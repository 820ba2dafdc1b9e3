"""Reading the alerting keys of configuration files, and checking what they refer to.

``routing_rules`` and ``auto_incident_rules`` are ordered (the first match
decides), so each may be written in one file only; their order in the file
is their ``position``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tocsin.config.alerting_schema import (
    ALERT_POLICY,
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
from tocsin.config.catalog import Catalog, Entry
from tocsin.config.errors import Level
from tocsin.config.loader import SourceFile
from tocsin.config.messages import validate_into
from tocsin.domain.routing import NO_INCIDENT
from tocsin.domain.severity import DEFAULT_SCALE, level_key

#: Which model validates each kind, and what one object is called in messages.
_MODELS: dict[str, tuple[type[BaseModel], str]] = {
    INTEGRATION: (IntegrationConfig, "integration"),
    ALERT_POLICY: (AlertPolicyConfig, "alert policy"),
    ROUTING_RULE: (RoutingRuleConfig, "routing rule"),
    AUTO_INCIDENT_RULE: (AutoIncidentRuleConfig, "auto-incident rule"),
    MAINTENANCE_WINDOW: (MaintenanceWindowConfig, "maintenance window"),
}
_KEYS = {
    INTEGRATION: "integrations",
    ALERT_POLICY: "alert_policies",
    ROUTING_RULE: "routing_rules",
    AUTO_INCIDENT_RULE: "auto_incident_rules",
    MAINTENANCE_WINDOW: "maintenance_windows",
}
_ORDERED = (ROUTING_RULE, AUTO_INCIDENT_RULE)


def entries(catalog: Catalog, kind: str) -> dict[str, Entry[Any]]:
    return catalog.alerting.setdefault(kind, {})


def _reader(kind: str) -> Any:
    model, what = _MODELS[kind]

    def read(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
        # Imported here: tocsin.config.kinds imports this module to register the readers.
        from tocsin.config.kinds import named_items

        if kind in _ORDERED and not catalog.claim_singleton(source, key, f"the {what}s"):
            return
        found = named_items(catalog, source, key, node, f"{what}s")
        for position, (name, data, path) in enumerate(found):
            validated = validate_into(model, data, source, path, catalog.issues)
            entry = Entry(name, validated, source, path, position)
            catalog.add(entries(catalog, kind), what, entry)

    return read


ALERTING_READERS = {key: _reader(kind) for kind, key in _KEYS.items()}


def _severity_labels(catalog: Catalog) -> set[str]:
    if catalog.severities:
        return set(catalog.severities)
    return {level_key(level.level) for level in DEFAULT_SCALE}


def _check_service(catalog: Catalog, entry: Entry[Any], service: str, at: tuple[Any, ...]) -> None:
    if service not in catalog.services:
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
    """Cross-check references from alerting objects to services, policies and severities."""
    for entry in entries(catalog, INTEGRATION).values():
        if isinstance(entry.model, IntegrationConfig):
            _check_service(catalog, entry, entry.model.service, ("service",))
    for name, entry in entries(catalog, ALERT_POLICY).items():
        if name != DEFAULT_POLICY and entry.model is not None:
            _check_service(catalog, entry, name, ())
    for entry in entries(catalog, ROUTING_RULE).values():
        rule = entry.model
        if not isinstance(rule, RoutingRuleConfig):
            continue
        if rule.service is not None:
            _check_service(catalog, entry, rule.service, ("service",))
        if rule.escalation_policy is not None and rule.escalation_policy not in catalog.policies:
            catalog.issues.append(
                entry.issue(
                    f"unknown escalation policy {rule.escalation_policy!r}",
                    at=("escalation_policy",),
                )
            )
        _check_severity(catalog, entry, rule.incident_severity)
    for entry in entries(catalog, AUTO_INCIDENT_RULE).values():
        if isinstance(entry.model, AutoIncidentRuleConfig):
            _check_severity(catalog, entry, entry.model.incident_severity)
    for entry in entries(catalog, MAINTENANCE_WINDOW).values():
        if isinstance(entry.model, MaintenanceWindowConfig):
            for index, service in enumerate(entry.model.services):
                _check_service(catalog, entry, service, ("services", index))
