"""Reading ``status_page:`` from configuration files, and checking what it names."""

from __future__ import annotations

from typing import Any

from tocsin.config.catalog import Catalog, Entry
from tocsin.config.errors import FieldPath
from tocsin.config.kinds import KindSet
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.config.organisation import SERVICE_KIND
from tocsin.config.references import unknown
from tocsin.domain.severity import DEFAULT_SCALE, level_key
from tocsin.incidents.config_schema import SEVERITY_KIND
from tocsin.statuspage.config_schema import (
    STATUS_PAGE_COMPONENT_KIND,
    STATUS_PAGE_KIND,
    STATUS_PAGE_NAME,
    StatusPageConfig,
    StatusPageSettings,
)


def read_status_page(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "the status page"):
        return
    page = validate_into(StatusPageConfig, to_plain(node), source, (key,), catalog.issues)
    if page is None:
        return
    for position, component in enumerate(page.components):
        path: FieldPath = (key, "components", position)
        entry = Entry(component.name, component, source, path, position)
        catalog.add(catalog.entries(STATUS_PAGE_COMPONENT_KIND), "status page component", entry)
    settings = StatusPageSettings.model_validate(page.model_dump(exclude={"components"}))
    catalog.entries(STATUS_PAGE_KIND)[STATUS_PAGE_NAME] = Entry(
        STATUS_PAGE_NAME, settings, source, (key,)
    )


def check_service_components(catalog: Catalog) -> None:
    """The components a service names must be defined."""
    components = catalog.entries(STATUS_PAGE_COMPONENT_KIND)
    for entry in catalog.entries(SERVICE_KIND).values():
        if entry.model is None:
            continue
        for index, component in enumerate(entry.model.components):
            if component not in components:
                message = unknown("status page component", component, components)
                catalog.issues.append(entry.issue(message, at=("components", index)))


def check_status_page(catalog: Catalog) -> None:
    """Pages name defined components, services and severity levels; slugs are unique."""
    entry = catalog.entries(STATUS_PAGE_KIND).get(STATUS_PAGE_NAME)
    if entry is None or entry.model is None:
        return
    settings = entry.model
    components = catalog.entries(STATUS_PAGE_COMPONENT_KIND)
    services = catalog.entries(SERVICE_KIND)
    slugs: set[str] = set()
    for index, page in enumerate(settings.pages):
        if page.slug in slugs:
            message = f"page {page.slug!r} is defined twice"
            catalog.issues.append(entry.issue(message, at=("pages", index, "slug")))
        slugs.add(page.slug)
        for position, component in enumerate(page.components):
            if component not in components:
                message = unknown("status page component", component, components)
                at: FieldPath = ("pages", index, "components", position)
                catalog.issues.append(entry.issue(message, at=at))
    for index, service in enumerate(settings.publish_automatically):
        if service not in services:
            message = unknown("service", service, services)
            catalog.issues.append(entry.issue(message, at=("publish_automatically", index)))
    for service in settings.customers:
        if service not in services:
            message = unknown("service", service, services)
            catalog.issues.append(entry.issue(message, at=("customers", service)))
    configured = catalog.entries(SEVERITY_KIND)
    levels = {key: entry.name for key, entry in configured.items()} or {
        level_key(level.level): level.level for level in DEFAULT_SCALE
    }
    for level in settings.proposals:
        if level_key(level) not in levels:
            message = unknown("severity level", level, list(levels.values()))
            catalog.issues.append(entry.issue(message, at=("proposals", level)))


STATUS_PAGE_KINDS = KindSet(
    readers={"status_page": read_status_page},
    checks=(check_service_components, check_status_page),
)
