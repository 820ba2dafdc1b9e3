"""Job kinds: a name and the payload dataclass its jobs carry.

A job's payload is stored as JSON in ``jobs.payload``. Each kind names a
frozen dataclass next to its handler; :meth:`JobKind.dump` writes it and
:meth:`JobKind.load` reads it back, so a handler receives a typed value and
never picks keys out of a dictionary. Fields hold JSON values (``int``,
``str``, ``bool``, ``None``, lists and mappings of them) or ``datetime``,
stored as ISO 8601 text.

Reading is lenient the way a durable queue must be: jobs written by an older
release may carry keys this release no longer knows (ignored) or lack a key
that now has a default (the default applies). A payload that lacks a
required field cannot run whatever the retries, so it raises
:class:`BadPayload`, which the engine treats as a permanent failure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar, cast, get_type_hints

P = TypeVar("P")


class BadPayload(ValueError):
    """A stored payload does not fit its kind's dataclass."""


@cache
def _datetime_fields(payload: type) -> frozenset[str]:
    hints = get_type_hints(payload)
    return frozenset(
        field.name
        for field in dataclasses.fields(payload)
        if hints[field.name] in (datetime, datetime | None)
    )


@dataclasses.dataclass(frozen=True)
class JobKind(Generic[P]):
    """A kind of job: ``name`` as stored in ``jobs.kind``, ``payload`` its dataclass."""

    name: str
    payload: type[P]

    def __post_init__(self) -> None:
        if not dataclasses.is_dataclass(self.payload):
            raise TypeError(f"job kind {self.name}: {self.payload!r} is not a dataclass")

    def dump(self, payload: P) -> dict[str, Any]:
        """The JSON object stored for ``payload``."""
        if not isinstance(payload, self.payload):
            wanted = self.payload.__name__
            raise TypeError(f"job kind {self.name} carries {wanted}, got {payload!r}")
        times = _datetime_fields(cast(type, self.payload))
        return {
            field.name: _dump_value(getattr(payload, field.name), field.name in times)
            for field in dataclasses.fields(payload)  # type: ignore[arg-type]
        }

    def load(self, stored: Mapping[str, Any]) -> P:
        """The dataclass for a stored JSON object (unknown keys are ignored)."""
        times = _datetime_fields(cast(type, self.payload))
        values: dict[str, Any] = {}
        for field in dataclasses.fields(self.payload):  # type: ignore[arg-type]
            if field.name in stored:
                value = stored[field.name]
                values[field.name] = (
                    datetime.fromisoformat(value)
                    if field.name in times and isinstance(value, str)
                    else value
                )
        try:
            return self.payload(**values)
        except TypeError as error:
            raise BadPayload(f"job kind {self.name}: payload {dict(stored)!r}: {error}") from None


def _dump_value(value: Any, is_time: bool) -> Any:
    if is_time and isinstance(value, datetime):
        return value.isoformat()
    return value
