"""What one signal from a monitoring tool does to an alert: open, repeat, acknowledge, resolve.

Every inbound format (Alertmanager, Grafana, PagerDuty, Opsgenie, webhook,
email, heartbeat, user report) is translated into a :class:`Signal`; from
there on all sources share one lifecycle:

- an alert is **triggered**, then optionally **acknowledged**, then **resolved**;
- a trigger whose dedup key matches an open alert of the service appends to it
  (its occurrence count goes up); with no open alert it opens a new one;
- acknowledging a resolved or unknown alert, or resolving one that is not open,
  changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

#: Longest dedup key stored as given; longer keys are replaced by their digest.
MAX_DEDUP_KEY = 255
#: Longest summary kept (PagerDuty truncates at the same length).
MAX_SUMMARY = 1024


class AlertStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Action(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Severity(StrEnum):
    """PagerDuty's four alert severities, most severe first."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


#: Words other tools use for severity, mapped onto the four levels.
_SEVERITY_WORDS: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "p1": Severity.CRITICAL,
    "high": Severity.CRITICAL,
    "error": Severity.ERROR,
    "err": Severity.ERROR,
    "major": Severity.ERROR,
    "p2": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "minor": Severity.WARNING,
    "medium": Severity.WARNING,
    "p3": Severity.WARNING,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "information": Severity.INFO,
    "notice": Severity.INFO,
    "low": Severity.INFO,
    "none": Severity.INFO,
    "p4": Severity.INFO,
    "p5": Severity.INFO,
}
#: The severity of a signal whose source says nothing (or something unknown) about it.
DEFAULT_SEVERITY = Severity.ERROR


def parse_severity(text: str | None, default: Severity = DEFAULT_SEVERITY) -> Severity:
    """Map a source's severity word ("crit", "P2", "warning"...) onto the four levels."""
    if text is None:
        return default
    return _SEVERITY_WORDS.get(text.strip().lower(), default)


class Change(StrEnum):
    """What applying an action to an alert does."""

    OPEN = "open"
    REPEAT = "repeat"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    NOTHING = "nothing"


def transition(status: AlertStatus | None, action: Action) -> Change:
    """The change ``action`` makes to an alert in ``status`` (None: no open alert has the key)."""
    if status is None or status is AlertStatus.RESOLVED:
        return Change.OPEN if action is Action.TRIGGER else Change.NOTHING
    if action is Action.TRIGGER:
        return Change.REPEAT
    if action is Action.ACKNOWLEDGE:
        return Change.ACKNOWLEDGE if status is AlertStatus.TRIGGERED else Change.NOTHING
    return Change.RESOLVE


def dedup_key(raw: str) -> str:
    """The key as stored: itself, or for keys too long for the index, a digest of it."""
    if len(raw) <= MAX_DEDUP_KEY:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def summary_text(raw: str) -> str:
    """A one-line summary of at most :data:`MAX_SUMMARY` characters."""
    line = " ".join(raw.split())
    return line if len(line) <= MAX_SUMMARY else line[: MAX_SUMMARY - 1] + "…"


def label_values(raw: Mapping[str, Any]) -> dict[str, str]:
    """Labels as text; values that are not strings are written as JSON would."""
    labels: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if isinstance(value, bool):
            labels[str(key)] = "true" if value else "false"
        else:
            labels[str(key)] = str(value)
    return labels


@dataclass(frozen=True)
class Signal:
    """One event from a source, in Tocsin's terms.

    ``dedup_key`` None on a trigger means "a new alert every time" (the
    caller then generates a key, as PagerDuty does).
    """

    action: Action
    dedup_key: str | None
    summary: str = ""
    severity: Severity = DEFAULT_SEVERITY
    #: The system the alert is about ("db-01", "checkout-api"), as the source names it.
    source: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[Mapping[str, str], ...] = ()
    #: When the problem began according to the source (Alertmanager's startsAt).
    started_at: datetime | None = None
    runbook_url: str | None = None
    #: Who acknowledged or resolved, when a person did it through the source.
    actor: str | None = None
    #: Free text attached to the event (an Opsgenie note, a close reason).
    note: str | None = None
    #: When the problem ended according to the source (Alertmanager's endsAt on a resolve).
    ended_at: datetime | None = None


def instant(value: datetime | None) -> datetime | None:
    """A source's timestamp as aware UTC (naive taken as UTC); None if it cannot be one."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        return None


def resolution_time(ended_at: datetime, started_at: datetime | None, now: datetime) -> datetime:
    """When an alert resolved: the sender's end time when it is sane, else ``now``.

    Sane means not in the future (after ``now``, when Tocsin heard of it) and
    not before the alert started (its ``startsAt``); Alertmanager's zero time
    never gets here (its parser reads it as "no end time").
    """
    if ended_at > now or (started_at is not None and ended_at < started_at):
        return now
    return ended_at


def auto_resolve_at(last_event_at: datetime, quiet: timedelta) -> datetime:
    """When an alert with no further events is resolved automatically."""
    return last_event_at + quiet
