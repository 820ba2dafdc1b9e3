"""Alert groups: which alerts page together, and what became of each group.

Alerts of one service that share the values of the configured grouping labels
(for example ``alertname`` and ``cluster``) form one group while the group is
open and keeps receiving alerts: an alert joins the group when the group's
latest alert arrived less than the grouping window ago. The first alert
opens the group and pages; the others join it silently. A group resolves when
all of its alerts have resolved.

``group_by`` empty puts every alert of the service in one group; the single
item ``...`` (as in Alertmanager) gives every alert a group of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: ``group_by: ["..."]``: every alert is a group of its own.
EACH_ALERT = "..."
DEFAULT_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class GroupingPolicy:
    group_by: tuple[str, ...] = ()
    window: timedelta = DEFAULT_WINDOW

    @property
    def each_alert(self) -> bool:
        return EACH_ALERT in self.group_by


def group_labels(labels: Mapping[str, str], policy: GroupingPolicy) -> dict[str, str]:
    """The labels that identify the group (absent labels count as empty)."""
    if policy.each_alert:
        return dict(labels)
    return {name: labels.get(name, "") for name in policy.group_by}


def group_key(labels: Mapping[str, str], policy: GroupingPolicy, dedup_key: str) -> str:
    """A fixed-length key naming the group an alert belongs to within its service."""
    if policy.each_alert:
        identity = "alert\0" + dedup_key
    else:
        identity = "labels\0" + "\0".join(
            f"{name}={labels.get(name, '')}" for name in sorted(set(policy.group_by))
        )
    return hashlib.sha256(identity.encode()).hexdigest()


def joins(last_alert_at: datetime, now: datetime, window: timedelta) -> bool:
    """Whether an alert arriving ``now`` joins a group whose latest alert came at ``last_alert_at``.

    The window slides: every alert that joins keeps the group open to joiners for another window.
    """
    return now - last_alert_at < window


class Outcome(StrEnum):
    """What a group turned out to be, for alert accuracy (seed: "alert accuracy")."""

    #: It became (or joined) an incident: a real problem.
    INCIDENT = "incident"
    #: Someone acknowledged it but no incident was declared.
    ACKNOWLEDGED = "acknowledged"
    #: It resolved without anyone touching it: noise.
    NOISE = "noise"


def outcome(*, became_incident: bool, acknowledged: bool) -> Outcome:
    if became_incident:
        return Outcome.INCIDENT
    if acknowledged:
        return Outcome.ACKNOWLEDGED
    return Outcome.NOISE


def rule_name(labels: Mapping[str, str], summary: str) -> str:
    """What produced the alert, for ranking noisy rules: its ``alertname``, else its summary."""
    return (labels.get("alertname") or summary or "(unnamed)")[:200]


@dataclass(frozen=True)
class AccuracyRow:
    """Outcome counts of the groups one rule of one service produced."""

    service: str
    rule: str
    groups: int
    incidents: int
    acknowledged: int
    noise: int

    @property
    def precision(self) -> float:
        """Share of groups that were real (acknowledged or an incident)."""
        return (self.incidents + self.acknowledged) / self.groups if self.groups else 0.0


def rank_noisy(rows: Sequence[AccuracyRow]) -> list[AccuracyRow]:
    """Rules ordered noisiest first: most noise, then lowest precision, then name."""
    return sorted(rows, key=lambda row: (-row.noise, row.precision, row.service, row.rule))
