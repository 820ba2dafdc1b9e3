"""Incident statuses, the transitions between them, and response-time metrics.

Statuses run triage → responding → mitigated → resolved → closed, with these
shortcuts and ways back (every other pair is refused):

==========  ==========  =================  ======  ===================================
from        to          kind               reason  meaning
==========  ==========  =================  ======  ===================================
triage      responding  respond            no      someone took it on
triage      mitigated   mitigate           no      mitigated while still triaging
triage      resolved    dismiss            yes     false alarm, or fixed at once
responding  mitigated   mitigate           no      impact stopped, cause remains
responding  resolved    resolve            no      fixed without a separate mitigation
mitigated   responding  mitigation_failed  yes     the mitigation did not hold
mitigated   resolved    resolve            no      permanently fixed
resolved    responding  reopen             yes     it came back
resolved    closed      close              no      done; final
==========  ==========  =================  ======  ===================================

A resolved incident may be reopened, as in PagerDuty and incident.io; closing
is final: a closed incident's record (postmortem, metrics) is settled, and a
recurrence is a new incident that can link to the old one.

Milestone timestamps are never cleared, so metrics stay computable after a
reopen (see :func:`stamp`):

- ``acknowledged_at``: the first time the incident leaves triage, whatever the
  target; set once.
- ``mitigated_at``: the first time it enters mitigated; set once. An incident
  resolved without a separate mitigation has none.
- ``resolved_at``: the latest time it entered resolved. While reopened it still
  holds the earlier resolution; the status says it no longer applies, and
  :func:`time_to_resolve` only counts resolved or closed incidents, so MTTR
  spans the whole time until the final resolution.
- ``closed_at``: when it was closed.
- ``reopen_count``: how many times it was reopened.

Metrics follow DESIGN.md: MTTD = detected_at - impact_started_at,
MTTA = acknowledged_at - detected_at, MTTR = resolved_at - detected_at; means,
medians and 90th percentiles exclude drills.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    TRIAGE = "triage"
    RESPONDING = "responding"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Statuses in which the incident is still being worked on.
OPEN_STATUSES = frozenset({Status.TRIAGE, Status.RESPONDING, Status.MITIGATED})


class TransitionKind(StrEnum):
    RESPOND = "respond"
    MITIGATE = "mitigate"
    DISMISS = "dismiss"
    RESOLVE = "resolve"
    MITIGATION_FAILED = "mitigation_failed"
    REOPEN = "reopen"
    CLOSE = "close"


@dataclass(frozen=True)
class _Edge:
    kind: TransitionKind
    requires_reason: bool


_EDGES: dict[tuple[Status, Status], _Edge] = {
    (Status.TRIAGE, Status.RESPONDING): _Edge(TransitionKind.RESPOND, False),
    (Status.TRIAGE, Status.MITIGATED): _Edge(TransitionKind.MITIGATE, False),
    (Status.TRIAGE, Status.RESOLVED): _Edge(TransitionKind.DISMISS, True),
    (Status.RESPONDING, Status.MITIGATED): _Edge(TransitionKind.MITIGATE, False),
    (Status.RESPONDING, Status.RESOLVED): _Edge(TransitionKind.RESOLVE, False),
    (Status.MITIGATED, Status.RESPONDING): _Edge(TransitionKind.MITIGATION_FAILED, True),
    (Status.MITIGATED, Status.RESOLVED): _Edge(TransitionKind.RESOLVE, False),
    (Status.RESOLVED, Status.RESPONDING): _Edge(TransitionKind.REOPEN, True),
    (Status.RESOLVED, Status.CLOSED): _Edge(TransitionKind.CLOSE, False),
}


class UnknownStatus(ValueError):
    def __init__(self, value: str) -> None:
        expected = ", ".join(s.value for s in Status)
        super().__init__(f"unknown status {value!r}; expected one of: {expected}")
        self.value = value


class InvalidTransition(ValueError):
    """The move is not allowed; ``allowed`` lists where ``current`` may go."""

    def __init__(self, current: Status, target: Status) -> None:
        self.current = current
        self.target = target
        self.allowed = allowed_targets(current)
        allowed = ", ".join(s.value for s in self.allowed) or "none (closed is final)"
        super().__init__(f"cannot go from {current} to {target}; allowed: {allowed}")


class ReasonRequired(ValueError):
    def __init__(self, current: Status, target: Status, kind: TransitionKind) -> None:
        self.current = current
        self.target = target
        self.kind = kind
        super().__init__(f"reason: required to go from {current} to {target} ({kind})")


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise UnknownStatus(value) from None


def allowed_targets(current: Status) -> tuple[Status, ...]:
    """Where ``current`` may go, in lifecycle order."""
    return tuple(target for target in Status if (current, target) in _EDGES)


def requires_reason(current: Status, target: Status) -> bool:
    edge = _EDGES.get((current, target))
    if edge is None:
        raise InvalidTransition(current, target)
    return edge.requires_reason


@dataclass(frozen=True)
class TransitionResult:
    source: Status
    target: Status
    kind: TransitionKind
    reason: str | None


def transition(current: Status, target: Status, reason: str | None = None) -> TransitionResult:
    """Check a status change; raise :class:`InvalidTransition` or :class:`ReasonRequired`.

    A reason of only whitespace counts as none.
    """
    current, target = Status(current), Status(target)
    edge = _EDGES.get((current, target))
    if edge is None:
        raise InvalidTransition(current, target)
    text = reason.strip() if reason else ""
    if edge.requires_reason and not text:
        raise ReasonRequired(current, target, edge.kind)
    return TransitionResult(source=current, target=target, kind=edge.kind, reason=text or None)


def _require_aware(field_name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{field_name}: expected a timezone-aware time, got {value.isoformat()}")


@dataclass(frozen=True)
class Milestones:
    """The timestamps metrics are computed from; see the module docstring."""

    detected_at: datetime
    impact_started_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0

    def __post_init__(self) -> None:
        for name in (
            "detected_at",
            "impact_started_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "closed_at",
        ):
            _require_aware(name, getattr(self, name))
        if self.impact_started_at is not None and self.impact_started_at > self.detected_at:
            raise ValueError("impact_started_at: the impact cannot start after it was detected")
        if self.reopen_count < 0:
            raise ValueError("reopen_count: cannot be negative")


def stamp(milestones: Milestones, result: TransitionResult, at: datetime) -> Milestones:
    """The milestones after ``result`` happened at ``at``."""
    _require_aware("at", at)
    if at < milestones.detected_at:
        raise ValueError("at: a status change cannot happen before the incident was detected")
    first_ack = result.source is Status.TRIAGE and milestones.acknowledged_at is None
    first_mitigation = result.target is Status.MITIGATED and milestones.mitigated_at is None
    reopened = result.kind is TransitionKind.REOPEN
    return replace(
        milestones,
        acknowledged_at=at if first_ack else milestones.acknowledged_at,
        mitigated_at=at if first_mitigation else milestones.mitigated_at,
        resolved_at=at if result.target is Status.RESOLVED else milestones.resolved_at,
        closed_at=at if result.target is Status.CLOSED else milestones.closed_at,
        reopen_count=milestones.reopen_count + 1 if reopened else milestones.reopen_count,
    )


def time_to_detect(milestones: Milestones) -> timedelta | None:
    if milestones.impact_started_at is None:
        return None
    return milestones.detected_at - milestones.impact_started_at


def time_to_acknowledge(milestones: Milestones) -> timedelta | None:
    if milestones.acknowledged_at is None:
        return None
    return milestones.acknowledged_at - milestones.detected_at


def time_to_resolve(status: Status, milestones: Milestones) -> timedelta | None:
    """None while the incident is open, including after a reopen."""
    if status in OPEN_STATUSES or milestones.resolved_at is None:
        return None
    return milestones.resolved_at - milestones.detected_at


@dataclass(frozen=True)
class IncidentTimes:
    """One incident as the metrics see it."""

    status: Status
    milestones: Milestones
    drill: bool = False


@dataclass(frozen=True)
class DurationStats:
    """Summary of a set of durations; the statistics are None when count is 0.

    ``median`` is the middle value, or the mean of the two middle values when
    the count is even. ``p90`` is the nearest-rank 90th percentile: the
    smallest observed value that at least 90% of the values do not exceed.
    """

    count: int
    mean: timedelta | None
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class Ranks:
    """The 1-based positions, in ascending order, of the values the statistics read.

    ``lower_middle`` and ``upper_middle`` are the two middle values (the same
    one when the count is odd); ``p90`` is ceil(0.9 * count), computed in
    integers so that no rounding of 0.9 can move it.
    """

    lower_middle: int
    upper_middle: int
    p90: int


def ranks(count: int) -> Ranks:
    if count < 1:
        raise ValueError("count: ranks need at least one value")
    return Ranks(
        lower_middle=(count + 1) // 2, upper_middle=count // 2 + 1, p90=-(-9 * count // 10)
    )


def stats_from_ranks(
    count: int,
    total: timedelta,
    lower_middle: timedelta,
    upper_middle: timedelta,
    p90: timedelta,
) -> DurationStats:
    """The statistics of ``count`` values from their sum and the values at :func:`ranks`.

    A database can give these without returning every value (an index read in
    order up to a rank); :func:`duration_stats` computes the same from the values.
    """
    if count < 1:
        raise ValueError("count: statistics need at least one value")
    return DurationStats(
        count=count,
        mean=total / count,
        median=(lower_middle + upper_middle) / 2,
        p90=p90,
    )


def micros_stats(micros: Iterable[int]) -> DurationStats:
    """:func:`duration_stats` of durations given in whole microseconds (as databases count
    them): the same figures, without a timedelta for each value."""
    values = sorted(micros)
    if not values:
        return DurationStats(count=0, mean=None, median=None, p90=None)
    at = ranks(len(values))

    def span(value: int) -> timedelta:
        return timedelta(microseconds=value)

    return stats_from_ranks(
        len(values),
        span(sum(values)),
        span(values[at.lower_middle - 1]),
        span(values[at.upper_middle - 1]),
        span(values[at.p90 - 1]),
    )


def duration_stats(durations: Iterable[timedelta]) -> DurationStats:
    values = sorted(durations)
    count = len(values)
    if count == 0:
        return DurationStats(count=0, mean=None, median=None, p90=None)
    at = ranks(count)
    return stats_from_ranks(
        count,
        sum(values, timedelta()),
        values[at.lower_middle - 1],
        values[at.upper_middle - 1],
        values[at.p90 - 1],
    )


@dataclass(frozen=True)
class ResponseMetrics:
    mttd: DurationStats
    mtta: DurationStats
    mttr: DurationStats


def response_metrics(incidents: Sequence[IncidentTimes]) -> ResponseMetrics:
    """MTTD, MTTA and MTTR over ``incidents``, drills excluded.

    Each metric counts only the incidents it is defined for (MTTD needs an
    impact start, MTTA an acknowledgement, MTTR a resolved or closed status).
    """
    real = [incident for incident in incidents if not incident.drill]
    return ResponseMetrics(
        mttd=duration_stats(_present(time_to_detect(i.milestones) for i in real)),
        mtta=duration_stats(_present(time_to_acknowledge(i.milestones) for i in real)),
        mttr=duration_stats(_present(time_to_resolve(i.status, i.milestones) for i in real)),
    )


def _present(values: Iterable[timedelta | None]) -> list[timedelta]:
    return [value for value in values if value is not None]
