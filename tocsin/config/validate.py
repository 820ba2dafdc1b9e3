"""Validating a configuration directory: schema, names, references, people, fairness.

What each top-level key means and which cross-checks run comes from the
:class:`~tocsin.config.kinds.Kinds` the caller passes (the composition root's,
:data:`tocsin.app.config_kinds.CONFIG_KINDS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tocsin.config.catalog import Catalog, Entry
from tocsin.config.desired import Configuration, DesiredDefinition, DesiredUser
from tocsin.config.errors import Issue, has_errors, sorted_issues
from tocsin.config.kinds import Kinds, read_file
from tocsin.config.loader import SourceFile, load_directory
from tocsin.config.references import people


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


def _configuration(catalog: Catalog, kinds: Kinds, implicit: list[DesiredUser]) -> Configuration:
    definitions = [
        item
        for kind in kinds.kinds
        for item in _definitions(kind.name, catalog.entries(kind).values())
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
    everyone = tuple(sorted([*users, *implicit], key=_by_name))
    return Configuration(tuple(definitions), everyone, kinds.names)


def _by_name(user: DesiredUser) -> str:
    return user.name


def validate_sources(
    sources: Sequence[SourceFile],
    kinds: Kinds,
    *,
    now: datetime,
    load_issues: Sequence[Issue] = (),
) -> Validation:
    """Validate parsed files with the readers and checks of ``kinds``.

    ``now`` is where fairness checks start looking ahead. When some file could
    not be parsed (``load_issues``), references are not checked: they would
    point into the missing file and bury the real error.
    """
    catalog = Catalog(now)
    catalog.issues.extend(load_issues)
    readers = kinds.readers
    for source in sources:
        read_file(catalog, source, readers)
    implicit: list[DesiredUser] = []
    if not load_issues:
        for check in kinds.checks:
            check(catalog)
        implicit = people(catalog, kinds.people)
    issues = tuple(sorted_issues(catalog.issues))
    if has_errors(issues):
        return Validation(Configuration(), issues)
    return Validation(_configuration(catalog, kinds, implicit), issues)


def validate_directory(directory: Path, kinds: Kinds, *, now: datetime) -> Validation:
    """Load and validate every ``*.yaml`` / ``*.yml`` file under ``directory``."""
    sources, issues = load_directory(directory)
    return validate_sources(sources, kinds, now=now, load_issues=issues)
