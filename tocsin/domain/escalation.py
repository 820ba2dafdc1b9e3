"""Escalation planning: from a frozen policy, who is reachable and what was acknowledged.

A :class:`Policy` is an ordered list of steps, each with targets and a
timeout, run ``repeat`` more times when nobody acknowledges. Steps are
numbered across repeats: with 3 steps and ``repeat: 1`` there are 6, and
number 4 is the first step of the second round.

Everything here is pure. Who a target means at an instant (the primary of a
schedule, a team's lead) is asked of a :data:`Resolver` the caller passes in,
so the same code plans a live escalation (resolving against the database at
the moment each step fires) and a dry run (resolving against configuration at
simulated instants).

Rules:

- an acknowledgement stops the escalation: no further step happens;
- a step pages everyone its targets resolve to and waits its timeout;
- a step that finds nobody says why and moves straight on to the next step,
  at the same instant (PagerDuty's behaviour: an empty step must not cost the
  responders its timeout);
- low urgency escalations stop after the first step that reached somebody,
  unless the policy is configured to escalate low urgency too;
- a step whose pages all end dead reached nobody: it moves on like a step
  that found nobody (:func:`unreached`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Urgency(StrEnum):
    HIGH = "high"
    LOW = "low"


@dataclass(frozen=True)
class Target:
    """Who a step pages; the fields mirror :class:`tocsin.paging.config_schema.TargetConfig`."""

    user: str | None = None
    schedule: str | None = None
    layer: str | None = None
    team: str | None = None
    role: str | None = None

    def describe(self) -> str:
        if self.user is not None:
            return f"user {self.user}"
        if self.schedule is not None:
            layer = f" {self.layer}" if self.layer else ""
            return f"schedule {self.schedule}{layer}"
        if self.team is not None:
            return f"team {self.team} {self.role}" if self.role else f"team {self.team}"
        return f"role {self.role}"


@dataclass(frozen=True)
class Step:
    targets: tuple[Target, ...]
    timeout: timedelta


@dataclass(frozen=True)
class Policy:
    name: str
    steps: tuple[Step, ...]
    repeat: int = 0
    #: Whether low urgency escalations go past the first step that reached somebody.
    escalate_low_urgency: bool = False

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"escalation policy {self.name!r} has no steps")
        if self.repeat < 0:
            raise ValueError("repeat must not be negative")

    @property
    def total_steps(self) -> int:
        return len(self.steps) * (self.repeat + 1)

    def step(self, index: int) -> Step:
        return self.steps[index % len(self.steps)]

    def position(self, index: int) -> tuple[int, int]:
        """(round, step within the round), both from 0, of step number ``index``."""
        return divmod(index, len(self.steps))

    def snapshot(self) -> dict[str, Any]:
        """A JSON document of this policy, frozen into an escalation run when it starts."""
        return {
            "name": self.name,
            "repeat": self.repeat,
            "escalate_low_urgency": self.escalate_low_urgency,
            "steps": [
                {
                    "timeout_seconds": int(step.timeout.total_seconds()),
                    "targets": [
                        {k: v for k, v in vars(target).items() if v is not None}
                        for target in step.targets
                    ],
                }
                for step in self.steps
            ],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Policy:
        return cls(
            name=str(data["name"]),
            repeat=int(data["repeat"]),
            escalate_low_urgency=bool(data.get("escalate_low_urgency", False)),
            steps=tuple(
                Step(
                    targets=tuple(Target(**target) for target in step["targets"]),
                    timeout=timedelta(seconds=int(step["timeout_seconds"])),
                )
                for step in data["steps"]
            ),
        )

    @classmethod
    def from_spec(
        cls, name: str, spec: Mapping[str, Any], *, escalate_low_urgency: bool = False
    ) -> Policy:
        """A policy from a stored ``EscalationPolicyConfig`` dump."""
        return cls(
            name=name,
            repeat=int(spec.get("repeat", 0)),
            escalate_low_urgency=escalate_low_urgency,
            steps=tuple(
                Step(
                    targets=tuple(Target(**target) for target in step["targets"]),
                    timeout=timedelta(minutes=int(step["timeout_minutes"])),
                )
                for step in spec["steps"]
            ),
        )


@dataclass(frozen=True)
class Resolution:
    """The people a target means at an instant; when there are none, ``reason`` says why."""

    people: tuple[str, ...]
    reason: str | None = None


Resolver = Callable[[Target, datetime], Resolution]


@dataclass(frozen=True)
class TargetOutcome:
    target: Target
    people: tuple[str, ...]
    reason: str | None


@dataclass(frozen=True)
class StepOutcome:
    """What one step did: whom it pages (each person once) and, if nobody, why."""

    index: int
    round: int
    step: int
    at: datetime
    targets: tuple[TargetOutcome, ...]

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for outcome in self.targets for p in outcome.people))

    @property
    def nobody_reason(self) -> str | None:
        if self.people:
            return None
        return "; ".join(o.reason or f"{o.target.describe()}: nobody" for o in self.targets)


class StopReason(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    EXHAUSTED = "exhausted"
    LOW_URGENCY = "low urgency: not escalated beyond the first step that reached somebody"


@dataclass(frozen=True)
class Decision:
    """The outcome of being due at step ``index``.

    ``outcome`` is the step taken (None when the escalation stopped first);
    ``next_index`` / ``next_at`` say when the following step is due, or are
    None with ``stopped`` saying why the escalation ends.
    """

    outcome: StepOutcome | None
    next_index: int | None
    next_at: datetime | None
    stopped: StopReason | None


def resolve_step(policy: Policy, index: int, at: datetime, resolver: Resolver) -> StepOutcome:
    round_, step = policy.position(index)
    outcomes = []
    for target in policy.step(index).targets:
        resolution = resolver(target, at)
        people = tuple(dict.fromkeys(resolution.people))
        reason = None if people else (resolution.reason or f"nobody is {target.describe()}")
        outcomes.append(TargetOutcome(target, people, reason))
    return StepOutcome(index, round_, step, at, tuple(outcomes))


def decide(
    policy: Policy,
    index: int,
    at: datetime,
    resolver: Resolver,
    *,
    urgency: Urgency = Urgency.HIGH,
    acknowledged: bool = False,
    resolved: bool = False,
    reached_somebody: bool = False,
) -> Decision:
    """What happens when step ``index`` is due at ``at``.

    ``reached_somebody`` says whether an earlier step of this escalation paged
    anyone (low urgency stops after that).
    """
    if resolved:
        return Decision(None, None, None, StopReason.RESOLVED)
    if acknowledged:
        return Decision(None, None, None, StopReason.ACKNOWLEDGED)
    if index >= policy.total_steps:
        return Decision(None, None, None, StopReason.EXHAUSTED)
    if urgency is Urgency.LOW and reached_somebody and not policy.escalate_low_urgency:
        return Decision(None, None, None, StopReason.LOW_URGENCY)
    outcome = resolve_step(policy, index, at, resolver)
    following = index + 1
    if outcome.people and urgency is Urgency.LOW and not policy.escalate_low_urgency:
        return Decision(outcome, None, None, StopReason.LOW_URGENCY)
    if following >= policy.total_steps:
        return Decision(outcome, None, None, StopReason.EXHAUSTED)
    wait = policy.step(index).timeout if outcome.people else timedelta(0)
    return Decision(outcome, following, at + wait, None)


def unreached(policy: Policy, outcome: StepOutcome) -> Decision:
    """What follows a step whose pages all ended dead (nobody could be reached).

    Like a step that found nobody, at any urgency: the next step at once,
    unless the policy is exhausted.
    """
    following = outcome.index + 1
    if following >= policy.total_steps:
        return Decision(outcome, None, None, StopReason.EXHAUSTED)
    return Decision(outcome, following, outcome.at, None)


def plan(
    policy: Policy,
    start: datetime,
    resolver: Resolver,
    *,
    urgency: Urgency = Urgency.HIGH,
    acknowledged_at: datetime | None = None,
) -> tuple[list[StepOutcome], StopReason]:
    """Every step that happens from ``start`` until acknowledgement or the end, and why it ends.

    An acknowledgement at the instant a step is due stops that step.
    """
    steps: list[StepOutcome] = []
    index: int | None = 0
    at: datetime | None = start
    while True:
        assert index is not None and at is not None
        decision = decide(
            policy,
            index,
            at,
            resolver,
            urgency=urgency,
            acknowledged=acknowledged_at is not None and acknowledged_at <= at,
            reached_somebody=any(step.people for step in steps),
        )
        if decision.outcome is not None:
            steps.append(decision.outcome)
        if decision.stopped is not None:
            return steps, decision.stopped
        index, at = decision.next_index, decision.next_at
