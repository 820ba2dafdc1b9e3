"""Every object the files define, by kind and name, remembering where each one is.

Kinds are not known here: each capability names its own with a :class:`Kind`
(``TEAM_KIND = Kind("team", "team", "teams")``) and finds its objects with
``catalog.entries(TEAM_KIND)``.

Objects whose body fails validation are still registered (with ``model``
None): their names are known, so references to them are not reported as
unknown on top of the real error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from tocsin.config.desired import Origin
from tocsin.config.errors import FieldPath, Issue, Level, format_path
from tocsin.config.loader import SourceFile
from tocsin.config.users import UserConfig

T = TypeVar("T")


@dataclass
class Entry(Generic[T]):
    """One named object: its validated model (None if invalid) and its place in a file."""

    name: str
    model: T | None
    source: SourceFile
    path: FieldPath
    position: int = 0
    #: For escalation policies derived from a schedule: where each (step, target) is written.
    target_paths: dict[tuple[int, int], FieldPath] = field(default_factory=dict)

    @property
    def origin(self) -> Origin:
        return Origin(self.source.name, self.source.line_of(self.path))

    def issue(self, message: str, *, at: FieldPath = (), level: Level = Level.ERROR) -> Issue:
        """An issue about this object, on the line of ``at`` (relative to the object)."""
        path = (*self.path, *at)
        return Issue(self.source.name, self.source.line_of(path), format_path(path), message, level)


@dataclass(frozen=True)
class Kind(Generic[T]):
    """A kind of definition (``definitions.kind`` is ``name``) whose objects validate as ``T``.

    ``one`` and ``many`` name it in messages: "no team named 'x'; teams: ...".
    """

    name: str
    one: str
    many: str


class Catalog:
    """The objects of one configuration directory and the issues found so far."""

    def __init__(self, now: datetime) -> None:
        #: When validation runs: checks that look ahead (fairness) start here.
        self.now = now
        self.issues: list[Issue] = []
        #: Users are configuration's own kind: they live in the users table, not in definitions.
        self.users: dict[str, Entry[UserConfig]] = {}
        #: Top-level keys that may appear in one file only, and where they first appeared.
        self.singletons: dict[str, Entry[None]] = {}
        self._tables: dict[str, dict[str, Entry[Any]]] = {}

    def entries(self, kind: Kind[T]) -> dict[str, Entry[T]]:
        """The objects of ``kind`` by name (or by severity key), in the order they were read."""
        return cast(dict[str, Entry[T]], self._tables.setdefault(kind.name, {}))

    def error(self, source: SourceFile, path: FieldPath, message: str) -> None:
        self.issues.append(Issue(source.name, source.line_of(path), format_path(path), message))

    def add(self, table: dict[str, Entry[T]], what: str, entry: Entry[T], key: str = "") -> None:
        """Register ``entry`` unless the name is taken; a clash is reported at the second place."""
        other = table.get(key or entry.name)
        if other is not None:
            self.issues.append(
                entry.issue(f"{what} {entry.name!r} is also defined at {other.origin}")
            )
            return
        table[key or entry.name] = entry

    def claim_singleton(self, source: SourceFile, key: str, what: str) -> bool:
        """True for the first file with top-level ``key``; later files get an error."""
        entry: Entry[None] = Entry(key, None, source, (key,))
        first = self.singletons.get(key)
        if first is not None:
            self.issues.append(
                entry.issue(
                    f"{what} must be defined in one file; already defined at {first.origin}"
                )
            )
            return False
        self.singletons[key] = entry
        return True
