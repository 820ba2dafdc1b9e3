"""Validating a configuration directory: schema, names, references, people, fairness."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tocsin.config.alerting_kinds import check_alerting
from tocsin.config.catalog import Catalog, Entry
from tocsin.config.desired import (
    CLASSIFICATION,
    ESCALATION_POLICY,
    INCIDENT_ROLE,
    NOTIFICATION_RULES,
    PAGING,
    POSTMORTEM_TEMPLATE,
    SCHEDULE,
    SERVICE,
    SEVERITY,
    STATUS_PAGE_COMPONENT,
    TEAM,
    Configuration,
    DesiredDefinition,
    DesiredUser,
)
from tocsin.config.errors import Issue, has_errors, sorted_issues
from tocsin.config.kinds import read_file
from tocsin.config.loader import SourceFile, load_directory
from tocsin.config.paging_reach import check_service_paging
from tocsin.config.references import check_references, people
from tocsin.config.schedules import check_fairness_of_schedules


@dataclass(frozen=True)
class Validation:
    """The outcome of validating a directory.

    ``configuration`` is empty unless there are no errors; warnings do not
    stop it.
    """

    configuration: Configuration
    issues: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(self.issues)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.is_error)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if not issue.is_error)


def _definitions(kind: str, entries: Iterable[Entry[Any]]) -> list[DesiredDefinition]:
    found = []
    for entry in entries:
        model = entry.model
        assert model is not None, "configuration is only built when every object is valid"
        spec: dict[str, Any] = (
            model.model_dump(mode="json", exclude_none=True)
            if isinstance(model, BaseModel)
            else dict(model)
        )
        found.append(DesiredDefinition(kind, entry.name, entry.position, spec, entry.origin))
    return found


def _configuration(catalog: Catalog, implicit: list[DesiredUser]) -> Configuration:
    definitions = [
        *_definitions(SEVERITY, catalog.severities.values()),
        *_definitions(INCIDENT_ROLE, catalog.roles.values()),
        *_definitions(TEAM, catalog.teams.values()),
        *_definitions(SCHEDULE, catalog.schedules.values()),
        *_definitions(ESCALATION_POLICY, catalog.policies.values()),
        *_definitions(SERVICE, catalog.services.values()),
        *_definitions(STATUS_PAGE_COMPONENT, catalog.components.values()),
        *_definitions(POSTMORTEM_TEMPLATE, catalog.postmortems.values()),
        *_definitions(CLASSIFICATION, catalog.classification.values()),
        *_definitions(PAGING, catalog.paging.values()),
        *_definitions(NOTIFICATION_RULES, catalog.notification_rules.values()),
        *(
            item
            for kind, found in (*catalog.alerting.items(), *catalog.incident.items())
            for item in _definitions(kind, found.values())
        ),
    ]
    users = []
    for entry in catalog.users.values():
        user = entry.model
        assert user is not None, "configuration is only built when every object is valid"
        working_hours = user.working_hours
        users.append(
            DesiredUser(
                name=entry.name,
                origin=entry.origin,
                full_name=user.full_name,
                email=user.email,
                time_zone=user.time_zone,
                role=user.role,
                contact_methods=[
                    method.model_dump(mode="json", exclude_none=True)
                    for method in user.contact_methods
                ],
                spec={"working_hours": working_hours.model_dump(mode="json")}
                if working_hours is not None
                else {},
            )
        )
    return Configuration(tuple(definitions), tuple(sorted([*users, *implicit], key=_by_name)))


def _by_name(user: DesiredUser) -> str:
    return user.name


def validate_sources(
    sources: Sequence[SourceFile], *, now: datetime, load_issues: Sequence[Issue] = ()
) -> Validation:
    """Validate parsed files; ``now`` is where fairness checks start looking ahead.

    When some file could not be parsed (``load_issues``), references are not
    checked: they would point into the missing file and bury the real error.
    """
    catalog = Catalog()
    catalog.issues.extend(load_issues)
    for source in sources:
        read_file(catalog, source)
    implicit: list[DesiredUser] = []
    if not load_issues:
        check_references(catalog)
        check_alerting(catalog)
        check_service_paging(catalog)
        implicit = people(catalog)
        check_fairness_of_schedules(catalog, now)
    issues = tuple(sorted_issues(catalog.issues))
    if has_errors(issues):
        return Validation(Configuration(), issues)
    return Validation(_configuration(catalog, implicit), issues)


def validate_directory(directory: Path, *, now: datetime) -> Validation:
    """Load and validate every ``*.yaml`` / ``*.yml`` file under ``directory``."""
    sources, issues = load_directory(directory)
    return validate_sources(sources, now=now, load_issues=issues)
