"""The state a configuration directory asks for: what plan compares with the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Users live in their own table; "user" names them in plans, audit entries and lookups.
USER = "user"


@dataclass(frozen=True)
class Origin:
    """Where an object is defined: the file (relative to the directory) and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class DesiredDefinition:
    kind: str
    name: str
    position: int
    spec: dict[str, Any]
    origin: Origin


@dataclass(frozen=True)
class DesiredUser:
    """A person as configuration describes them.

    ``implicit`` users are named somewhere (a schedule, a team, a postmortem)
    but defined nowhere: they are created without contact methods, and a user
    that already exists outside configuration is left as it is.
    """

    name: str
    origin: Origin
    full_name: str = ""
    email: str | None = None
    time_zone: str = "UTC"
    role: str = "responder"
    contact_methods: list[dict[str, Any]] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    implicit: bool = False

    def fields(self) -> dict[str, Any]:
        """The user-table columns configuration sets, by column name."""
        return {
            "full_name": self.full_name,
            "email": self.email,
            "time_zone": self.time_zone,
            "role": self.role,
            "contact_methods": self.contact_methods,
            "spec": self.spec,
        }


@dataclass(frozen=True)
class Configuration:
    """Everything one directory defines, validated and cross-checked.

    ``kinds`` are the definition kinds validation knew, in the order plans list
    them: a stored definition of one of them that a file owns and no file
    defines any more is removed; other kinds are left alone.
    """

    definitions: tuple[DesiredDefinition, ...] = ()
    users: tuple[DesiredUser, ...] = ()
    kinds: tuple[str, ...] = ()
