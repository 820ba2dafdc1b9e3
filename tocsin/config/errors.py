"""Problems found in configuration files, reported as ``FILE:LINE: field.path: message``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

#: One step into a YAML document: a mapping key or a list index.
PathPart = str | int
FieldPath = tuple[PathPart, ...]


class Level(Enum):
    ERROR = "error"
    WARNING = "warning"


def format_path(path: Sequence[PathPart]) -> str:
    """``("severities", 0, "response_time")`` -> ``severities[0].response_time``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True)
class Issue:
    """One error or warning at a place in one file.

    ``file`` is the path relative to the configuration directory, so the same
    message appears on a laptop and in CI.
    """

    file: str
    line: int
    path: str
    message: str
    level: Level = Level.ERROR

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: "
        if self.level is Level.WARNING:
            text += "warning: "
        if self.path:
            text += f"{self.path}: "
        return text + self.message


def sorted_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Issues in reading order: by file, then line, then field."""
    return sorted(issues, key=lambda issue: (issue.file, issue.line, issue.path, issue.message))


def has_errors(issues: Iterable[Issue]) -> bool:
    return any(issue.is_error for issue in issues)
