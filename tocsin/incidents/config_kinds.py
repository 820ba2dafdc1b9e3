"""Reading the incident keys of configuration files (see :mod:`tocsin.incidents.config_schema`).

``severities``, ``classification``, ``incident_checklist`` and
``resolve_policy`` may each be written in one file only. ``incident_checklist``
replaces the seed's Incident Response Template, ``resolve_policy`` says who may
resolve an incident, and ``incident_fields`` defines the custom fields
incidents may carry.
"""

from __future__ import annotations

import re
from typing import Any

from tocsin.config.catalog import Catalog, Entry
from tocsin.config.errors import FieldPath
from tocsin.config.fields import describe, incident_role_name, object_name
from tocsin.config.kinds import KindSet, items, named_items
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.domain.checklist import ChecklistError, template_from_config
from tocsin.domain.classification import ClassificationError, ClassificationRules
from tocsin.domain.severity import level_key
from tocsin.incidents.config_schema import (
    CHECKLIST_KIND,
    CLASSIFICATION_KIND,
    DEFAULT_NAME,
    INCIDENT_FIELD_KIND,
    INCIDENT_ROLE_KIND,
    RESOLVE_POLICY_KIND,
    SEVERITY_KIND,
    IncidentFieldConfig,
    IncidentRoleConfig,
    ResolvePolicyConfig,
    SeverityConfig,
)


def read_severities(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "the severity scale"):
        return
    for index, data in items(catalog, source, key, node, "severity levels"):
        path: FieldPath = (key, index)
        model = validate_into(SeverityConfig, data, source, path, catalog.issues)
        level = data.get("level") if isinstance(data, dict) else None
        if isinstance(level, str) and level.strip():
            entry = Entry(level, model, source, path, position=index)
            catalog.add(
                catalog.entries(SEVERITY_KIND), "severity level", entry, key=level_key(level)
            )


def read_roles(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    entries = named_items(catalog, source, key, node, "incident roles", incident_role_name)
    for position, (name, data, path) in enumerate(entries):
        model = validate_into(IncidentRoleConfig, data, source, path, catalog.issues)
        entry = Entry(name, model, source, path, position)
        catalog.add(catalog.entries(INCIDENT_ROLE_KIND), "incident role", entry)


def read_classification(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "classification"):
        return
    data = to_plain(node)
    if not isinstance(data, dict):
        catalog.error(source, (key,), f"must be a mapping of thresholds, got {describe(data)}")
        return
    try:
        ClassificationRules.from_dict(data)
    except ClassificationError as error:
        message = str(error).removeprefix(f"{error.field}: ")
        catalog.error(source, (key, error.field) if error.field in data else (key,), message)
        return
    catalog.entries(CLASSIFICATION_KIND)[key] = Entry(key, data, source, (key,))


def read_checklist(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "the incident checklist"):
        return
    data = to_plain(node)
    try:
        template_from_config(data)
    except ChecklistError as error:
        found = re.findall(r"[A-Za-z_]+|\[\d+\]", error.path)
        path: list[str | int] = [int(p[1:-1]) if p.startswith("[") else p for p in found]
        if path[:1] == ["checklist"]:
            path = path[1:]
        message = str(error).removeprefix(f"{error.path}: ")
        catalog.error(source, (key, *path[:1]), message)
        return
    entry = Entry(DEFAULT_NAME, {"sections": data}, source, (key,))
    catalog.add(catalog.entries(CHECKLIST_KIND), "incident checklist", entry)


def read_resolve_policy(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "the resolve policy"):
        return
    model = validate_into(ResolvePolicyConfig, to_plain(node), source, (key,), catalog.issues)
    catalog.add(
        catalog.entries(RESOLVE_POLICY_KIND),
        "resolve policy",
        Entry(DEFAULT_NAME, model, source, (key,)),
    )


def read_fields(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    data = to_plain(node)
    if not isinstance(data, dict):
        catalog.error(source, (key,), f"must be a mapping of fields by key, got {describe(data)}")
        return
    for name, spec in data.items():
        try:
            checked = object_name(name)
        except ValueError as error:
            catalog.error(source, (key, name), f"invalid name: {error}")
            continue
        model = validate_into(IncidentFieldConfig, spec, source, (key, name), catalog.issues)
        catalog.add(
            catalog.entries(INCIDENT_FIELD_KIND),
            "incident field",
            Entry(checked, model, source, (key, name)),
        )


INCIDENT_KINDS = KindSet(
    readers={
        "severities": read_severities,
        "roles": read_roles,
        "classification": read_classification,
        "incident_checklist": read_checklist,
        "resolve_policy": read_resolve_policy,
        "incident_fields": read_fields,
    }
)
