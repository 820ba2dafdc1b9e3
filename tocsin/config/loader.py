"""Reading a configuration directory: YAML documents that remember their line numbers.

ruamel.yaml's round-trip loader records where every key and list item starts;
:meth:`SourceFile.line_of` walks a field path through the document to find the
line to blame, stopping at the deepest node that exists (a missing field is
reported on the line of the mapping that lacks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from tocsin.config.errors import Issue, PathPart

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class SourceFile:
    """One parsed configuration file.

    ``name`` is the path relative to the configuration directory (POSIX
    separators); it is what error messages print and what ``managed_by``
    stores. ``document`` is the ruamel.yaml tree, None for an empty file.
    """

    name: str
    document: Any

    @property
    def stem(self) -> str:
        """The file name without directory or suffix: names a file's single schedule."""
        return Path(self.name).stem

    def line_of(self, path: Sequence[PathPart]) -> int:
        """The 1-based line of the deepest node of ``path`` present in the file."""
        node = self.document
        line = 1
        for part in path:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        return line


def to_plain(node: Any) -> Any:
    """Plain dicts, lists and scalars from a ruamel.yaml tree (for Pydantic)."""
    if isinstance(node, dict):
        return {key: to_plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, datetime):
        # ruamel.yaml's TimeStamp subclass would confuse Pydantic's serializer.
        return datetime.fromisoformat(node.isoformat())
    return node


def config_files(directory: Path) -> list[Path]:
    """Every ``*.yaml`` / ``*.yml`` file under ``directory``, skipping hidden ones, sorted."""
    found = []
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix in SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found, key=lambda path: path.relative_to(directory).as_posix())


def _yaml_issue(name: str, error: YAMLError) -> Issue:
    if isinstance(error, MarkedYAMLError) and error.problem_mark is not None:
        line = error.problem_mark.line + 1
        message = str(error.problem or error.context or "invalid YAML")
        if error.context and error.problem and error.context_mark is not None:
            message += f" ({error.context} started on line {error.context_mark.line + 1})"
        return Issue(name, line, "", f"YAML syntax error: {message}")
    return Issue(name, 1, "", f"YAML syntax error: {error}")


def parse(name: str, text: str) -> SourceFile | Issue:
    """Parse one file's text; a syntax error comes back as an :class:`Issue`."""
    try:
        document = YAML(typ="rt").load(text)
    except YAMLError as error:
        return _yaml_issue(name, error)
    return SourceFile(name=name, document=document)


def load_directory(directory: Path) -> tuple[list[SourceFile], list[Issue]]:
    """Parse every configuration file in ``directory``.

    Files that cannot be read or parsed are reported and left out; the others
    are returned so their own problems can be reported in the same run.
    """
    where = directory.as_posix()
    if not directory.is_dir():
        return [], [Issue(where, 1, "", "is not a directory of configuration files")]
    paths = config_files(directory)
    if not paths:
        return [], [Issue(where, 1, "", "holds no configuration files (*.yaml, *.yml)")]
    sources: list[SourceFile] = []
    issues: list[Issue] = []
    for path in paths:
        name = path.relative_to(directory).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            issues.append(Issue(name, 1, "", f"cannot read file: {error}"))
            continue
        parsed = parse(name, text)
        if isinstance(parsed, Issue):
            issues.append(parsed)
        else:
            sources.append(parsed)
    return sources, issues
