"""The kinds configuration knows: which top-level keys a file may have, and what reads them.

Configuration knows no capability. Each capability describes its part in a
:class:`KindSet` (its ``config_kinds`` module): a reader per top-level YAML
key, the cross-checks to run once every file is read, and where its objects
name people. The composition root (:mod:`tocsin.app.config_kinds`) assembles
the sets into one :class:`Kinds` and passes it to validation.

Each reader checks the container shape (a list of severities, a mapping of
teams by name...), validates every object with its model and registers it by
name, reporting problems at the line of the object or field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from tocsin.config.catalog import Catalog, Entry, Kind
from tocsin.config.errors import FieldPath
from tocsin.config.fields import describe, object_name, user_name
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.config.users import UserConfig

#: Reads one top-level key of one file into the catalog: (catalog, file, key, node).
Reader = Callable[[Catalog, SourceFile, str, Any], None]
#: Cross-checks the catalog once every file is read, appending issues to it.
Check = Callable[[Catalog], None]
#: Every (person, object, field relative to the object) where objects name a person.
People = Callable[[Catalog], Iterable[tuple[str, Entry[Any], FieldPath]]]


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


@dataclass(frozen=True)
class KindSet:
    """What one capability adds to configuration files."""

    #: A reader per top-level YAML key.
    readers: Mapping[str, Reader]
    #: Cross-checks run once every file is read (and parsed).
    checks: tuple[Check, ...] = ()
    #: Where its objects name people, so people named but never defined get a user.
    people: tuple[People, ...] = ()


#: Configuration's own part: the people under ``users:``.
USERS = KindSet(readers={"users": read_users})


@dataclass(frozen=True)
class Kinds:
    """Every kind of definition and every top-level key, assembled by the composition root.

    ``kinds`` is the order plans list changes in (a kind missing from it is
    neither planned nor removed); ``sets`` are the capabilities' parts, and
    :data:`USERS` is always one of them.
    """

    kinds: tuple[Kind[Any], ...]
    sets: tuple[KindSet, ...]

    def __post_init__(self) -> None:
        keys = Counter(key for part in (USERS, *self.sets) for key in part.readers)
        names = Counter(kind.name for kind in self.kinds)
        for what, counted in (("top-level key", keys), ("definition kind", names)):
            twice = sorted(name for name, count in counted.items() if count > 1)
            if twice:
                raise ValueError(f"{what} registered twice: {', '.join(twice)}")

    @property
    def names(self) -> tuple[str, ...]:
        """The definition kinds, in plan order."""
        return tuple(kind.name for kind in self.kinds)

    @property
    def readers(self) -> dict[str, Reader]:
        """Every top-level key a file may have, with its reader."""
        return {key: read for part in (USERS, *self.sets) for key, read in part.readers.items()}

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(check for part in self.sets for check in part.checks)

    @property
    def people(self) -> tuple[People, ...]:
        return tuple(named for part in self.sets for named in part.people)


def read_file(catalog: Catalog, source: SourceFile, readers: Mapping[str, Reader]) -> None:
    """Read every top-level key of one file."""
    document = source.document
    if document is None:
        return
    accepted = ", ".join(sorted(readers))
    if not isinstance(document, CommentedMap):
        catalog.error(source, (), f"must be a mapping with top-level keys ({accepted})")
        return
    for key, node in document.items():
        reader = readers.get(key) if isinstance(key, str) else None
        if reader is None:
            catalog.error(source, (key,), f"unknown top-level key; accepted keys are {accepted}")
            continue
        reader(catalog, source, key, node)
