"""Comparing what configuration asks for with what the database holds.

Actions, per object:

- **create**: defined in a file, absent from the database;
- **change**: managed by configuration and different (fields, position, or
  the file that owns it);
- **adopt**: present but made through the API (``managed_by`` NULL); from now
  on the file owns it, and its fields become the file's;
- **remove**: a definition owned by a file that no longer defines it;
- **release**: the same for a user: the row stays (users own tokens, sessions
  and history) and only stops being managed by configuration.

A person who is only named in files (an implicit user) and already exists as
an API-managed user is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config.desired import USER, Configuration, DesiredDefinition, DesiredUser
from tocsin.config.tables import Definition

_SHOWN_CHARACTERS = 60


class Action(StrEnum):
    CREATE = "create"
    CHANGE = "change"
    ADOPT = "adopt"
    REMOVE = "remove"
    RELEASE = "release"


_SIGNS = {
    Action.CREATE: "+",
    Action.CHANGE: "~",
    Action.ADOPT: ">",
    Action.REMOVE: "-",
    Action.RELEASE: "-",
}
_DONE = {
    Action.CREATE: "created",
    Action.CHANGE: "changed",
    Action.ADOPT: "adopted",
    Action.REMOVE: "removed",
    Action.RELEASE: "released",
}
_MISSING = object()


def _render(value: Any) -> str:
    if value is _MISSING:
        return "(none)"
    text = repr(value)
    if len(text) > _SHOWN_CHARACTERS:
        return text[: _SHOWN_CHARACTERS - 3] + "..."
    return text


@dataclass(frozen=True)
class FieldChange:
    """One leaf that differs; ``before`` / ``after`` are JSON values or absent."""

    field: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.field}: {_render(self.before)} → {_render(self.after)}"

    def as_json(self) -> dict[str, Any]:
        """For audit entries: absent values become None."""
        return {
            "field": self.field,
            "before": None if self.before is _MISSING else self.before,
            "after": None if self.after is _MISSING else self.after,
        }


@dataclass(frozen=True)
class Change:
    action: Action
    kind: str
    name: str
    #: The file that will own the object (for remove and release, the one that did).
    file: str
    fields: tuple[FieldChange, ...] = ()
    desired: DesiredDefinition | DesiredUser | None = None
    #: Order within the kind (a severity's rank), so plans read in file order.
    position: int = 0

    def lines(self) -> list[str]:
        head = f"{_SIGNS[self.action]} {self.action} {self.kind} {self.name} ({self.file})"
        if self.action is Action.RELEASE:
            head += ": the user stays, no longer managed by configuration"
        return [head, *(f"    {change}" for change in self.fields)]


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaves of a JSON value by dotted path: ``steps[0].targets[1].user``."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """Field-level differences between two JSON documents, in the order of ``after``."""
    old = dict(_flatten(before))
    new = dict(_flatten(after))
    changes = [
        FieldChange(path, old.get(path, _MISSING), value)
        for path, value in new.items()
        if path not in old or old[path] != value
    ]
    changes += [
        FieldChange(path, value, _MISSING) for path, value in old.items() if path not in new
    ]
    return tuple(changes)


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)

    def summary(self) -> str:
        if self.empty:
            return "No changes: the database matches the configuration."
        counts = [f"{self.count(action)} to {action}" for action in Action if self.count(action)]
        return f"Plan: {', '.join(counts)}."

    def applied_summary(self) -> str:
        if self.empty:
            return self.summary()
        done = [f"{self.count(action)} {_DONE[action]}" for action in Action if self.count(action)]
        return f"Applied: {', '.join(done)}."

    def lines(self) -> list[str]:
        """The changes, one object per line with its field changes indented, then the summary."""
        return [line for change in self.changes for line in change.lines()] + [self.summary()]


def _definition_document(row: Definition) -> dict[str, Any]:
    return {"position": row.position, "spec": row.spec}


def _user_document(fields: dict[str, Any]) -> dict[str, Any]:
    spec = fields.pop("spec")
    return {**fields, **spec}


def _plan_definitions(session: Session, configuration: Configuration) -> list[Change]:
    rows = {
        (row.kind, row.name): row
        for row in session.scalars(
            select(Definition).where(Definition.kind.in_(configuration.kinds))
        )
    }
    changes = []
    for wanted in configuration.definitions:
        row = rows.pop((wanted.kind, wanted.name), None)
        document = {"position": wanted.position, "spec": wanted.spec}
        if row is None:
            changes.append(
                Change(
                    Action.CREATE,
                    wanted.kind,
                    wanted.name,
                    wanted.origin.file,
                    desired=wanted,
                    position=wanted.position,
                )
            )
            continue
        fields = diff(_definition_document(row), document)
        if row.managed_by is None:
            action = Action.ADOPT
        elif row.managed_by != wanted.origin.file:
            action = Action.CHANGE
            fields = (FieldChange("managed_by", row.managed_by, wanted.origin.file), *fields)
        elif fields:
            action = Action.CHANGE
        else:
            continue
        changes.append(
            Change(
                action,
                wanted.kind,
                wanted.name,
                wanted.origin.file,
                fields,
                wanted,
                wanted.position,
            )
        )
    for (kind, name), row in rows.items():
        if row.managed_by is not None:
            changes.append(Change(Action.REMOVE, kind, name, row.managed_by, position=row.position))
    return changes


def _plan_users(session: Session, configuration: Configuration) -> list[Change]:
    rows = {row.name: row for row in session.scalars(select(User))}
    changes = []
    for wanted in configuration.users:
        row = rows.pop(wanted.name, None)
        file = wanted.origin.file
        if row is None:
            changes.append(Change(Action.CREATE, USER, wanted.name, file, desired=wanted))
            continue
        if wanted.implicit and row.managed_by is None:
            continue
        current = {
            "full_name": row.full_name,
            "email": row.email,
            "time_zone": row.time_zone,
            "role": row.role,
            "contact_methods": row.contact_methods,
            "spec": row.spec,
        }
        fields = diff(_user_document(current), _user_document(wanted.fields()))
        if row.managed_by is None:
            action = Action.ADOPT
        elif row.managed_by != file:
            action = Action.CHANGE
            fields = (FieldChange("managed_by", row.managed_by, file), *fields)
        elif fields:
            action = Action.CHANGE
        else:
            continue
        changes.append(Change(action, USER, wanted.name, file, fields, wanted))
    for name, row in rows.items():
        if row.managed_by is not None:
            changes.append(Change(Action.RELEASE, USER, name, row.managed_by))
    return changes


def plan(session: Session, configuration: Configuration) -> Plan:
    """What applying ``configuration`` would do to the database ``session`` sees.

    Kinds in the configuration's order, users last; within a kind, file order
    (severity rank), then name.
    """
    kinds = (*configuration.kinds, USER)
    changes = _plan_definitions(session, configuration) + _plan_users(session, configuration)
    order = sorted(
        changes, key=lambda change: (kinds.index(change.kind), change.position, change.name)
    )
    return Plan(tuple(order))
