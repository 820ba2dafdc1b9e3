"""Pydantic validation errors rewritten for people and placed on a file and line."""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tocsin.config.errors import FieldPath, Issue, format_path
from tocsin.config.fields import describe
from tocsin.config.loader import SourceFile

M = TypeVar("M", bound=BaseModel)


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the type that holds the fields."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def accepted_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str] | None:
    """The field names of the model found at ``loc`` inside ``model``, if one is there."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        elif origin in (list, tuple, set, frozenset):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return None


def message_for(error: ErrorDetails, model: type[BaseModel]) -> str:
    """One error in words: what was expected, and what the file says instead."""
    kind = error["type"]
    got = describe(error.get("input"))
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        accepted = accepted_fields(model, error["loc"][:-1])
        if accepted:
            return f"unknown field; accepted fields are {', '.join(accepted)}"
        return "unknown field"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}, got {got}"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s)"
    simple = {
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_type": "must be a number",
        "float_parsing": "must be a number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "list_type": "must be a list",
        "dict_type": "must be a mapping",
        "model_type": "must be a mapping of fields",
        "model_attributes_type": "must be a mapping of fields",
        "date_type": "must be a date like 2026-03-01",
        "date_parsing": "must be a date like 2026-03-01",
        "date_from_datetime_parsing": "must be a date like 2026-03-01",
    }
    if kind in simple:
        return f"{simple[kind]}, got {got}"
    text = error["msg"]
    return f"{text[:1].lower()}{text[1:]}, got {got}"


def issues_from(
    error: ValidationError, source: SourceFile, prefix: FieldPath, model: type[BaseModel]
) -> list[Issue]:
    """Issues for every error in ``error``; ``prefix`` is where the object sits in the file."""
    issues = []
    for detail in error.errors(include_url=False):
        loc = tuple(part for part in detail["loc"] if part != "[key]")
        path = (*prefix, *loc)
        issues.append(
            Issue(source.name, source.line_of(path), format_path(path), message_for(detail, model))
        )
    return issues


def validate_into(
    model: type[M], data: Any, source: SourceFile, prefix: FieldPath, issues: list[Issue]
) -> M | None:
    """Validate ``data`` as ``model``; on failure append the issues and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        issues.extend(issues_from(error, source, prefix, model))
        return None
