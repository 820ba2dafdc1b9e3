"""Custom incident fields: defined in configuration, checked when an incident is edited.

A definition (kind ``incident_field``, named by the field's key) has a
``type`` of text, number, boolean or choice, an optional ``description``, and
for choice fields the ``choices``. Values are checked against it; setting a
field to null removes it from the incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

FieldType = Literal["text", "number", "boolean", "choice"]
FIELD_TYPES: tuple[FieldType, ...] = ("text", "number", "boolean", "choice")


class CustomFieldError(ValueError):
    """A custom field value or definition is invalid; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class FieldDefinition:
    key: str
    type: FieldType
    description: str = ""
    choices: tuple[str, ...] = ()


def field_definition(key: str, spec: Mapping[str, Any]) -> FieldDefinition:
    """Parse one stored definition."""
    kind = spec.get("type", "text")
    if kind not in FIELD_TYPES:
        raise CustomFieldError(key, f"type must be one of {', '.join(FIELD_TYPES)}, got {kind!r}")
    choices = spec.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise CustomFieldError(key, "choices must be a list of text")
    if kind == "choice" and not choices:
        raise CustomFieldError(key, "a choice field needs choices")
    description = spec.get("description", "")
    return FieldDefinition(
        key=key,
        type=cast(FieldType, kind),
        description=description if isinstance(description, str) else "",
        choices=tuple(choices),
    )


def _check(definition: FieldDefinition, value: object) -> None:
    where = f"custom_fields.{definition.key}"
    if definition.type == "text" and not isinstance(value, str):
        raise CustomFieldError(where, f"expected text, got {value!r}")
    if definition.type == "number" and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        raise CustomFieldError(where, f"expected a number, got {value!r}")
    if definition.type == "boolean" and not isinstance(value, bool):
        raise CustomFieldError(where, f"expected true or false, got {value!r}")
    if definition.type == "choice" and value not in definition.choices:
        raise CustomFieldError(
            where, f"expected one of {', '.join(definition.choices)}, got {value!r}"
        )


def merge(
    current: Mapping[str, Any],
    changes: Mapping[str, Any],
    definitions: Mapping[str, FieldDefinition],
) -> dict[str, Any]:
    """``current`` with ``changes`` applied; a None value removes the field."""
    merged = dict(current)
    for key, value in changes.items():
        definition = definitions.get(key)
        if definition is None:
            known = ", ".join(sorted(definitions)) or "none are configured"
            raise CustomFieldError(
                f"custom_fields.{key}", f"no such custom field; defined fields: {known}"
            )
        if value is None:
            merged.pop(key, None)
            continue
        _check(definition, value)
        merged[key] = value
    return merged
