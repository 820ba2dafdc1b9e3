"""The kinds registry: assembled by the composition root, knowing no capability itself."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.config import Kind, Kinds, KindSet
from tocsin.config.catalog import Catalog
from tocsin.config.loader import SourceFile

CONFIG_PACKAGE = Path(__file__).resolve().parents[2] / "tocsin" / "config"
CAPABILITIES = ("alerts", "inbound", "paging", "incidents", "oncall", "admin", "web", "app")


def _ignore(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """A reader that reads nothing."""


def test_the_config_package_imports_no_capability() -> None:
    found = []
    for path in sorted(CONFIG_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found += [
                f"{path.name}: {name}"
                for name in names
                if name.split(".")[:2] in (["tocsin", each] for each in CAPABILITIES)
            ]
    assert found == []


def test_a_top_level_key_registered_twice_is_refused() -> None:
    first = KindSet(readers={"teams": _ignore})
    with pytest.raises(ValueError, match="top-level key registered twice: teams"):
        Kinds(kinds=(), sets=(first, KindSet(readers={"teams": _ignore})))
    with pytest.raises(ValueError, match="top-level key registered twice: users"):
        Kinds(kinds=(), sets=(KindSet(readers={"users": _ignore}),))


def test_a_definition_kind_registered_twice_is_refused() -> None:
    team: Kind[dict[str, Any]] = Kind("team", "team", "teams")
    with pytest.raises(ValueError, match="definition kind registered twice: team"):
        Kinds(kinds=(team, team), sets=())


def test_the_composition_root_registers_every_kind_once_in_plan_order() -> None:
    assert CONFIG_KINDS.names[:3] == ("severity", "incident_role", "team")
    assert len(set(CONFIG_KINDS.names)) == len(CONFIG_KINDS.names) == 22
    assert "users" in CONFIG_KINDS.readers
