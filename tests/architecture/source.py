"""A static picture of the tocsin package: its modules, their sizes and their imports.

Read from the source with ``ast`` (nothing is imported), so the structure tests see every
file, including the ones import-linter cannot see (folders without ``__init__.py``) and the
imports inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
PACKAGE = REPOSITORY / "tocsin"
MIGRATIONS = PACKAGE / "db" / "migrations"

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80


@dataclass(frozen=True)
class Module:
    """One ``.py`` file of tocsin, named the way it is imported."""

    name: str
    path: Path
    source: str

    @property
    def relative(self) -> str:
        return self.path.relative_to(REPOSITORY).as_posix()

    @property
    def is_migration(self) -> bool:
        return self.path.is_relative_to(MIGRATIONS)

    @property
    def tree(self) -> ast.Module:
        return _parse(self.path)


@dataclass(frozen=True)
class Import:
    """``importer`` names ``imported`` (a tocsin module, or a top-level external name)."""

    importer: Module
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer.relative}:{self.line} {self.importer.name} -> {self.imported}"


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_name(path: Path, root: Path = REPOSITORY) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Module]:
    """Every module of the tocsin package by dotted name."""
    found: dict[str, Module] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        found[name] = Module(name, path, path.read_text(encoding="utf-8"))
    return found


def package_folders() -> list[Path]:
    """Every folder of tocsin that holds Python code."""
    return sorted({path.parent for path in PACKAGE.rglob("*.py")})


def _resolve(dotted: str) -> str:
    """The longest prefix of ``dotted`` that is a tocsin module (``from a import name``)."""
    known = modules()
    candidate = dotted
    while candidate and candidate not in known:
        candidate = candidate.rpartition(".")[0]
    return candidate or dotted


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if module.path.name != "__init__.py":
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _named(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    origin = _absolute(module, node)
    submodules = [f"{origin}.{alias.name}" for alias in node.names]
    return [name for name in submodules if name in modules()] or [origin]


def imports_of(module: Module) -> Iterator[Import]:
    """Every import statement of ``module``, wherever it stands in the file."""
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for name in _named(module, node):
            if name == "tocsin" or name.startswith("tocsin."):
                yield Import(module, _resolve(name), node.lineno)
            elif name and name != "__future__":
                yield Import(module, name.partition(".")[0], node.lineno)


@cache
def internal_imports() -> tuple[Import, ...]:
    return tuple(
        found
        for module in modules().values()
        for found in imports_of(module)
        if found.imported.startswith("tocsin")
    )


def child_package(parent: str, module: str) -> str | None:
    """The package directly inside ``parent`` that holds ``module`` (a module is not one)."""
    if not module.startswith(parent + "."):
        return None
    head = module[len(parent) + 1 :].partition(".")[0]
    child = f"{parent}.{head}"
    folder = REPOSITORY.joinpath(*child.split("."))
    return child if folder.is_dir() else None


def package_cycles() -> list[tuple[str, list[Import]]]:
    """Groups of sibling packages that import each other, directly or round a loop.

    Every package is looked at: the packages of tocsin, then the subpackages of each.
    Each group comes with the imports between its members, to show where to cut.
    """
    found: list[tuple[str, list[Import]]] = []
    for folder in package_folders():
        parent = module_name(folder / "__init__.py")
        edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
        for edge in internal_imports():
            source = child_package(parent, edge.importer.name)
            target = child_package(parent, edge.imported)
            if source and target and source != target:
                edges[(source, target)].append(edge)
        for group in _strongly_connected({pair for pair in edges}):
            inside = [e for pair, es in sorted(edges.items()) if set(pair) <= group for e in es]
            found.append((" <-> ".join(sorted(group)), inside))
    return found


def describe_cycle(group: str, edges: list[Import], detail: int = 3) -> list[str]:
    """One line per imported pair in a cycle; the modules too where few imports make it.

    The pairs made of few imports are usually where a cycle is to be cut.
    """
    parent_depth = group.partition(" ")[0].count(".")
    by_pair: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for edge in edges:
        source = ".".join(edge.importer.name.split(".")[: parent_depth + 1])
        target = ".".join(edge.imported.split(".")[: parent_depth + 1])
        by_pair[(source, target)].append(edge)
    lines = [f"cycle: {group}"]
    for (source, target), pair_edges in sorted(by_pair.items()):
        lines.append(f"  {source} -> {target} ({len(pair_edges)} imports)")
        if len(pair_edges) <= detail:
            lines.extend(f"      {edge}" for edge in pair_edges)
    return lines


def _strongly_connected(pairs: set[tuple[str, str]]) -> list[set[str]]:
    """The groups of more than one node that reach each other (a cycle)."""
    following: dict[str, set[str]] = defaultdict(set)
    for source, target in pairs:
        following[source].add(target)

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in following[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reached = {node: reach(node) for node in list(following)}
    groups: list[set[str]] = []
    for node, ahead in reached.items():
        group = {node} | {other for other in ahead if node in reached.get(other, set())}
        if len(group) > 1 and group not in groups:
            groups.append(group)
    return groups


def long_functions() -> Iterator[tuple[Module, ast.FunctionDef | ast.AsyncFunctionDef, int]]:
    """Functions and methods longer than the limit, from ``def`` to their last line."""
    for module in modules().values():
        if module.is_migration:
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    yield module, node, length


def long_files() -> Iterator[tuple[Module, int]]:
    for module in modules().values():
        lines = len(module.source.splitlines())
        if not module.is_migration and lines > MAX_FILE_LINES:
            yield module, lines
