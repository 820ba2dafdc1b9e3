"""Silences and maintenance windows: paging is suppressed, the alert is still recorded.

A silence (as in Alertmanager) covers alerts whose labels match all of its
matchers between its start and end. A maintenance window covers every alert
of the services it names between its start and end. When either covers an
alert that opens a group, the group does not page; when the suppression ends
and the group is still open, it pages then, so an outage that outlives its
maintenance window is not lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tocsin.domain.matchers import Matcher, matches_all


class SuppressionKind(StrEnum):
    SILENCE = "silence"
    MAINTENANCE = "maintenance"
    FLAPPING = "flapping"


@dataclass(frozen=True)
class Silence:
    id: int
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def covers(self, labels: Mapping[str, str], now: datetime) -> bool:
        return self.active(now) and matches_all(self.matchers, labels)


@dataclass(frozen=True)
class MaintenanceWindow:
    name: str
    services: frozenset[str]
    starts_at: datetime
    ends_at: datetime

    def covers(self, service: str, now: datetime) -> bool:
        return service in self.services and self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class Suppression:
    """Why a group does not page, and (unless it is flapping) until when."""

    kind: SuppressionKind
    reference: str
    until: datetime | None

    def __str__(self) -> str:
        return f"{self.kind.value} {self.reference}"


def suppression(
    silences: Iterable[Silence],
    windows: Iterable[MaintenanceWindow],
    labels: Mapping[str, str],
    service: str,
    now: datetime,
) -> Suppression | None:
    """What suppresses paging for an alert now, if anything.

    When several silences or windows cover it, the one that lasts longest is
    reported, so the group is looked at again only when all of them are over.
    """
    found = [
        Suppression(SuppressionKind.SILENCE, str(silence.id), silence.ends_at)
        for silence in silences
        if silence.covers(labels, now)
    ] + [
        Suppression(SuppressionKind.MAINTENANCE, window.name, window.ends_at)
        for window in windows
        if window.covers(service, now)
    ]
    if not found:
        return None
    return max(found, key=lambda item: (item.until or now, item.kind.value, item.reference))
