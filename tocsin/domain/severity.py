"""Severity levels: the ordered scale an incident is classified on.

The severity file describes each level in words a person wrote for people:
``response_time: "15 minutes"``, ``communication: "Every 30 minutes"``,
``escalation: "Engineering Manager notified"``. This module turns that text
into typed values (durations, a next-business-day marker, audience role names)
and keeps the original words beside them, so screens can show what the team
wrote while the engine computes with the parsed value.

Ranks come from the position in the file: the first level is the most severe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta


class SeverityTextError(ValueError):
    """Text in a severity definition that does not match any accepted form."""


@dataclass(frozen=True)
class BusinessDay:
    """A response target of "the next business day" rather than a fixed span."""

    def __str__(self) -> str:
        return "next business day"


NEXT_BUSINESS_DAY = BusinessDay()

_UNITS: dict[str, timedelta] = {
    "minute": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "hr": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_UNIT_PATTERN = r"(?P<unit>minutes?|mins?|hours?|hrs?|days?|weeks?)"
_DURATION = re.compile(rf"(?P<count>\d+)\s*{_UNIT_PATTERN}", re.IGNORECASE)
_EVERY = re.compile(rf"every\s+(?:(?P<count>\d+)\s*)?{_UNIT_PATTERN}", re.IGNORECASE)
_ADVERB_CADENCE: dict[str, timedelta] = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}
_ADVERB = re.compile(r"(?P<adverb>hourly|daily|weekly)(?:\s+updates?)?", re.IGNORECASE)
_NEXT_BUSINESS_DAY = re.compile(r"next\s+business\s+day", re.IGNORECASE)
_NOTIFIED = re.compile(r"(?P<audience>[A-Za-z][A-Za-z ,&'-]*?)\s+notified", re.IGNORECASE)
_AUDIENCE_SEPARATOR = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)

RESPONSE_TIME_FORMS = (
    '"<number> minutes|hours|days" (e.g. "5 minutes", "1 hour") or "Next business day"'
)
CADENCE_FORMS = (
    '"Every <number> minutes|hours|days" (e.g. "Every 15 minutes"), "Every hour", '
    '"Hourly update", "Daily update" or "Weekly update"'
)
ESCALATION_FORMS = (
    '"<audience> notified" (e.g. "VP of Engineering notified", '
    '"Team lead and Engineering Manager notified") or "None"'
)


def _span(count: str | None, unit: str) -> timedelta:
    base = unit.lower().rstrip("s")
    return _UNITS[base] * int(count if count is not None else 1)


@dataclass(frozen=True)
class ResponseTime:
    """How soon someone must respond: a span, or the next business day."""

    text: str
    within: timedelta | BusinessDay

    @property
    def is_business_day(self) -> bool:
        return isinstance(self.within, BusinessDay)


@dataclass(frozen=True)
class Cadence:
    """How often stakeholders get an update while the incident is open."""

    text: str
    every: timedelta


@dataclass(frozen=True)
class EscalationAudience:
    """Who is told when an incident reaches this level.

    ``roles`` are snake_case role names ("vp_of_engineering"); an empty tuple
    means nobody beyond the responders.
    """

    text: str
    roles: tuple[str, ...]


def parse_response_time(text: str) -> ResponseTime:
    """Parse "5 minutes", "1 hour", "2 days" or "Next business day"."""
    stripped = text.strip()
    if _NEXT_BUSINESS_DAY.fullmatch(stripped):
        return ResponseTime(text=text, within=NEXT_BUSINESS_DAY)
    match = _DURATION.fullmatch(stripped)
    if match is None or int(match["count"]) == 0:
        raise SeverityTextError(f"must be {RESPONSE_TIME_FORMS}, got {text!r}")
    return ResponseTime(text=text, within=_span(match["count"], match["unit"]))


def parse_cadence(text: str) -> Cadence:
    """Parse "Every 15 minutes", "Every 2 hours", "Every hour" or "Daily update"."""
    stripped = text.strip()
    every = _EVERY.fullmatch(stripped)
    if every is not None and every["count"] != "0":
        return Cadence(text=text, every=_span(every["count"], every["unit"]))
    adverb = _ADVERB.fullmatch(stripped)
    if adverb is not None:
        return Cadence(text=text, every=_ADVERB_CADENCE[adverb["adverb"].lower()])
    raise SeverityTextError(f"must be {CADENCE_FORMS}, got {text!r}")


def role_name(words: str) -> str:
    """The snake_case name of a role in words: "VP of Engineering" -> "vp_of_engineering"."""
    return "_".join(re.split(r"[\s'-]+", words.strip().lower()))


def parse_escalation(text: str) -> EscalationAudience:
    """Parse "VP of Engineering notified", "Team lead and Engineering Manager notified", "None"."""
    stripped = text.strip()
    if stripped.lower() == "none":
        return EscalationAudience(text=text, roles=())
    match = _NOTIFIED.fullmatch(stripped)
    if match is None:
        raise SeverityTextError(f"must be {ESCALATION_FORMS}, got {text!r}")
    parts = [part for part in _AUDIENCE_SEPARATOR.split(match["audience"]) if part]
    if not parts:
        raise SeverityTextError(f"must be {ESCALATION_FORMS}, got {text!r}")
    return EscalationAudience(text=text, roles=tuple(role_name(part) for part in parts))


def level_key(level: str) -> str:
    """The comparison key of a level label: "SEV-1", "sev1" and "SEV 1" are the same level."""
    return re.sub(r"[\s_-]+", "", level).upper()


@dataclass(frozen=True)
class SeverityLevel:
    """One level of the scale. ``rank`` 0 is the most severe."""

    level: str
    name: str
    rank: int
    description: str
    response_time: ResponseTime
    communication: Cadence
    escalation: EscalationAudience
    examples: tuple[str, ...] = ()

    def is_more_severe_than(self, other: SeverityLevel) -> bool:
        return self.rank < other.rank


class SeverityScale:
    """The levels in order, most severe first, looked up by label."""

    def __init__(self, levels: Iterable[SeverityLevel]) -> None:
        self._levels = tuple(sorted(levels, key=lambda level: level.rank))
        self._by_key = {level_key(level.level): level for level in self._levels}
        if len(self._by_key) != len(self._levels):
            raise ValueError("severity levels must have distinct labels")

    def __len__(self) -> int:
        return len(self._levels)

    def __iter__(self) -> Iterator[SeverityLevel]:
        return iter(self._levels)

    def __getitem__(self, rank: int) -> SeverityLevel:
        return self._levels[rank]

    def get(self, level: str) -> SeverityLevel | None:
        """The level labelled ``level`` ("SEV-1", "SEV1", "sev 1"), or None."""
        return self._by_key.get(level_key(level))

    @property
    def most_severe(self) -> SeverityLevel:
        return self._levels[0]

    @property
    def least_severe(self) -> SeverityLevel:
        return self._levels[-1]


def _seed_level(
    rank: int,
    level: str,
    name: str,
    description: str,
    response_time: str,
    communication: str,
    escalation: str,
    examples: tuple[str, ...],
) -> SeverityLevel:
    return SeverityLevel(
        level=level,
        name=name,
        rank=rank,
        description=description,
        response_time=parse_response_time(response_time),
        communication=parse_cadence(communication),
        escalation=parse_escalation(escalation),
        examples=examples,
    )


#: The seeds' severity-definitions.yaml: the scale in use until configuration defines one.
DEFAULT_SCALE = SeverityScale(
    [
        _seed_level(
            0,
            "SEV-1",
            "Critical",
            "Complete service outage affecting all users",
            "5 minutes",
            "Every 15 minutes",
            "VP of Engineering notified",
            (
                "Production database is down",
                "Payment processing is completely broken",
                "Security breach detected",
            ),
        ),
        _seed_level(
            1,
            "SEV-2",
            "Major",
            "Significant degradation affecting many users",
            "15 minutes",
            "Every 30 minutes",
            "Engineering Manager notified",
            ("API latency increased 10x", "50% of requests failing"),
        ),
        _seed_level(
            2,
            "SEV-3",
            "Minor",
            "Partial degradation affecting some users",
            "1 hour",
            "Every 2 hours",
            "Team lead notified",
            ("One region experiencing errors", "Non-critical feature unavailable"),
        ),
        _seed_level(
            3,
            "SEV-4",
            "Low",
            "Minor issue with minimal user impact",
            "Next business day",
            "Daily update",
            "None",
            ("Cosmetic UI bug", "Slow dashboard loading"),
        ),
    ]
)
