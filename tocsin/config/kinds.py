"""Reading each top-level key of a configuration file into the catalog.

Each reader checks the container shape (a list of severities, a mapping of
teams by name...), validates every object with its model and registers it by
name, reporting problems at the line of the object or field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ruamel.yaml.comments import CommentedMap

from tocsin.config.alerting_kinds import ALERTING_READERS
from tocsin.config.catalog import Catalog, Entry
from tocsin.config.errors import FieldPath
from tocsin.config.fields import describe, incident_role_name, object_name, user_name
from tocsin.config.incident_kinds import INCIDENT_READERS
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.config.paging_schema import PAGING_NAME, NotificationRulesConfig, PagingConfig
from tocsin.config.schedules import add_schedule
from tocsin.config.schema import (
    EscalationPolicyConfig,
    IncidentRoleConfig,
    PostmortemTemplateConfig,
    ServiceConfig,
    SeverityConfig,
    StatusPageConfig,
    TeamConfig,
    UserConfig,
)
from tocsin.domain.classification import ClassificationError, ClassificationRules
from tocsin.domain.severity import level_key

Reader = Callable[[Catalog, SourceFile, str, Any], None]


def named_items(
    catalog: Catalog,
    source: SourceFile,
    key: str,
    node: Any,
    what: str,
    check_name: Callable[[Any], str] = object_name,
) -> Iterator[tuple[str, Any, FieldPath]]:
    """The (name, plain value, path) of each entry of a mapping keyed by name."""
    if node is None:
        return
    if not isinstance(node, dict):
        catalog.error(source, (key,), f"must be a mapping of {what} by name, got {describe(node)}")
        return
    for name, value in node.items():
        try:
            checked = check_name(name)
        except ValueError as error:
            catalog.error(source, (key, name), f"invalid name: {error}")
            continue
        yield checked, to_plain(value), (key, name)


def items(
    catalog: Catalog, source: SourceFile, key: str, node: Any, what: str
) -> Iterator[tuple[int, Any]]:
    """The (index, plain value) of each item of a list."""
    if node is None:
        return
    if not isinstance(node, list):
        catalog.error(source, (key,), f"must be a list of {what}, got {describe(node)}")
        return
    yield from enumerate(to_plain(node))


def read_severities(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "the severity scale"):
        return
    for index, data in items(catalog, source, key, node, "severity levels"):
        path: FieldPath = (key, index)
        model = validate_into(SeverityConfig, data, source, path, catalog.issues)
        level = data.get("level") if isinstance(data, dict) else None
        if isinstance(level, str) and level.strip():
            entry = Entry(level, model, source, path, position=index)
            catalog.add(catalog.severities, "severity level", entry, key=level_key(level))


def read_roles(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    entries = named_items(catalog, source, key, node, "incident roles", incident_role_name)
    for position, (name, data, path) in enumerate(entries):
        model = validate_into(IncidentRoleConfig, data, source, path, catalog.issues)
        catalog.add(catalog.roles, "incident role", Entry(name, model, source, path, position))


def read_teams(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "teams"):
        model = validate_into(TeamConfig, data, source, path, catalog.issues)
        catalog.add(catalog.teams, "team", Entry(name, model, source, path))


def read_users(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """Users as a mapping by name, or as a list of mappings that each carry ``name``."""
    if isinstance(node, list):
        for index, data in items(catalog, source, key, node, "users"):
            path: FieldPath = (key, index)
            if not isinstance(data, dict):
                catalog.error(source, path, f"must be a mapping of fields, got {describe(data)}")
                continue
            fields = dict(data)
            try:
                name = user_name(fields.pop("name", None))
            except ValueError as error:
                catalog.error(source, (*path, "name"), str(error))
                continue
            model = validate_into(UserConfig, fields, source, path, catalog.issues)
            catalog.add(catalog.users, "user", Entry(name, model, source, path))
        return
    for name, data, path in named_items(catalog, source, key, node, "users", user_name):
        model = validate_into(UserConfig, data, source, path, catalog.issues)
        catalog.add(catalog.users, "user", Entry(name, model, source, path))


def read_schedule(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """The file's one schedule, named after the file (on-call-schedule.yaml: on-call-schedule)."""
    add_schedule(catalog, source, source.stem, to_plain(node), (key,))


def read_schedules(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "schedules"):
        add_schedule(catalog, source, name, data, path)


def read_policies(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "escalation policies"):
        model = validate_into(EscalationPolicyConfig, data, source, path, catalog.issues)
        catalog.add(catalog.policies, "escalation policy", Entry(name, model, source, path))


def read_services(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "services"):
        model = validate_into(ServiceConfig, data, source, path, catalog.issues)
        catalog.add(catalog.services, "service", Entry(name, model, source, path))


def read_status_page(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "the status page"):
        return
    page = validate_into(StatusPageConfig, to_plain(node), source, (key,), catalog.issues)
    if page is None:
        return
    for position, component in enumerate(page.components):
        path: FieldPath = (key, "components", position)
        entry = Entry(component.name, component, source, path, position)
        catalog.add(catalog.components, "status page component", entry)


def read_postmortem(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """The file's postmortem template, named after the file."""
    model = validate_into(PostmortemTemplateConfig, to_plain(node), source, (key,), catalog.issues)
    entry = Entry(source.stem, model, source, (key,))
    catalog.add(catalog.postmortems, "postmortem template", entry)


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
    catalog.classification[key] = Entry(key, data, source, (key,))


def read_paging(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "paging"):
        return
    model = validate_into(PagingConfig, to_plain(node), source, (key,), catalog.issues)
    catalog.paging[PAGING_NAME] = Entry(PAGING_NAME, model, source, (key,))


def read_notification_rules(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """Rules by person: ``notification_rules: {alice: {high_urgency: [...]}}``."""
    for name, data, path in named_items(catalog, source, key, node, "people", user_name):
        model = validate_into(NotificationRulesConfig, data, source, path, catalog.issues)
        entry = Entry(name, model, source, path)
        catalog.add(catalog.notification_rules, "notification rules of", entry)


READERS: dict[str, Reader] = {
    "severities": read_severities,
    "roles": read_roles,
    "teams": read_teams,
    "users": read_users,
    "schedule": read_schedule,
    "schedules": read_schedules,
    "escalation_policies": read_policies,
    "services": read_services,
    "status_page": read_status_page,
    "postmortem": read_postmortem,
    "classification": read_classification,
    "paging": read_paging,
    "notification_rules": read_notification_rules,
    **ALERTING_READERS,
    **INCIDENT_READERS,
}


def read_file(catalog: Catalog, source: SourceFile) -> None:
    """Read every top-level key of one file."""
    document = source.document
    if document is None:
        return
    accepted = ", ".join(sorted(READERS))
    if not isinstance(document, CommentedMap):
        catalog.error(source, (), f"must be a mapping with top-level keys ({accepted})")
        return
    for key, node in document.items():
        reader = READERS.get(key) if isinstance(key, str) else None
        if reader is None:
            catalog.error(source, (key,), f"unknown top-level key; accepted keys are {accepted}")
            continue
        reader(catalog, source, key, node)
