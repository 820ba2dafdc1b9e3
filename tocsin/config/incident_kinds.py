"""The incident keys of configuration files: checklist, who may resolve, custom fields.

``incident_checklist`` replaces the seed's Incident Response Template,
``resolve_policy`` says who may resolve an incident, and ``incident_fields``
defines the custom fields incidents may carry. They are stored as the
definition kinds :mod:`tocsin.incidents.configured` reads.
"""

from __future__ import annotations

import re
from typing import Any

from tocsin.config.catalog import Catalog, Entry
from tocsin.config.fields import describe, object_name
from tocsin.config.incident_schema import (
    CHECKLIST,
    DEFAULT_NAME,
    INCIDENT_FIELD,
    RESOLVE_POLICY,
    IncidentFieldConfig,
    ResolvePolicyConfig,
)
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.domain.checklist import ChecklistError, template_from_config


def _table(catalog: Catalog, kind: str) -> dict[str, Entry[Any]]:
    return catalog.incident.setdefault(kind, {})


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
    catalog.add(_table(catalog, CHECKLIST), "incident checklist", entry)


def read_resolve_policy(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "the resolve policy"):
        return
    model = validate_into(ResolvePolicyConfig, to_plain(node), source, (key,), catalog.issues)
    catalog.add(
        _table(catalog, RESOLVE_POLICY),
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
            _table(catalog, INCIDENT_FIELD),
            "incident field",
            Entry(checked, model, source, (key, name)),
        )


INCIDENT_READERS = {
    "incident_checklist": read_checklist,
    "resolve_policy": read_resolve_policy,
    "incident_fields": read_fields,
}
