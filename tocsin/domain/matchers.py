"""Label matchers as Prometheus Alertmanager writes them: ``=``, ``!=``, ``=~`` and ``!~``.

A matcher is written ``name="value"`` (quotes optional for simple values),
``name!="value"``, ``name=~"regex"`` or ``name!~"regex"``. As in
Alertmanager, regular expressions are anchored at both ends and a label that
is absent has the empty value, so ``team=""`` matches alerts without a team
label and ``team!=""`` matches alerts that have one. A list of matchers
matches when every matcher does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_MATCHER = re.compile(
    rf"""\s*(?P<name>{_NAME})\s*(?P<op>=~|!~|!=|=)\s*
    (?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^"\s,{{}}]*))\s*""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


class MatcherError(ValueError):
    """Matcher text that does not parse, or a regular expression that does not compile."""


class Operator(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"

    @property
    def negated(self) -> bool:
        return self in (Operator.NOT_EQUAL, Operator.NOT_REGEX)

    @property
    def is_regex(self) -> bool:
        return self in (Operator.REGEX, Operator.NOT_REGEX)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(f"(?:{pattern})", re.DOTALL)
    except re.error as error:
        raise MatcherError(f"invalid regular expression {pattern!r}: {error}") from None


@dataclass(frozen=True)
class Matcher:
    name: str
    op: Operator
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(_NAME, self.name):
            raise MatcherError(f"invalid label name {self.name!r}")
        if self.op.is_regex:
            object.__setattr__(self, "_pattern", _compiled(self.value))

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self._pattern is not None:
            hit = self._pattern.fullmatch(actual) is not None
        else:
            hit = actual == self.value
        return hit != self.op.negated

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op.value}"{escaped}"'


def parse(text: str) -> Matcher:
    """One matcher from its text, e.g. ``severity="critical"`` or ``cluster=~eu-.*``."""
    found = _MATCHER.fullmatch(text)
    if found is None:
        raise MatcherError(
            f'expected a matcher like name="value", name!="value", name=~"regex" or '
            f'name!~"regex", got {text!r}'
        )
    quoted = found["quoted"]
    value = _ESCAPE.sub(r"\1", quoted) if quoted is not None else found["bare"]
    return Matcher(found["name"], Operator(found["op"]), value)


def parse_all(texts: Iterable[str]) -> tuple[Matcher, ...]:
    return tuple(parse(text) for text in texts)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """True when every matcher matches ``labels`` (so an empty list matches everything)."""
    return all(matcher.matches(labels) for matcher in matchers)
