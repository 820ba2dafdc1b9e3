"""The escalation run's state machine: what each action does to a run, decided purely.

A run is *active* (escalating: a step job is due), *acknowledged* (somebody
took it; no step is due, though an acknowledgement timeout may re-trigger
it) or *resolved* (finished for good). :class:`RunStatus` holds what the
machine reads and changes of a run; the rest of a run (its subject, its
frozen policy) never changes once it starts.

**The superseded-step rule.** A step job carries the run's ``step_token`` and
the step number it is for; an acknowledgement timeout job carries the token.
Every action that changes what the run waits for (acknowledge, resolve,
re-trigger, escalate now, re-assign, move on past a dead step) takes a new
token, so the jobs queued before it are recognised as superseded
(:func:`step_is_current`, :func:`timeout_is_current`) and dropped instead of
paging anybody again. Taking a step (:func:`advance`) keeps the token: the
next step's job is queued with it.

Each action returns a :class:`Transition`: the run's status after it and,
when the action queues a step, when that step is due. The shell writes the
status and queues the job; it decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from tocsin.domain.escalation import Policy
from tocsin.domain.refusals import Conflict


class RunState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


#: The states of a run that is not finished (at most one per subject).
OPEN_STATES: tuple[str, ...] = (RunState.ACTIVE.value, RunState.ACKNOWLEDGED.value)


class EscalationClosed(Conflict):
    """The action needs an open escalation, and this one is resolved."""


class PolicyExhausted(Conflict):
    """Escalate now: the run has taken every step of its policy."""


@dataclass(frozen=True)
class RunStatus:
    """What the state machine reads and changes of one run."""

    state: RunState
    #: The step number due next (across the policy's repeats).
    step_index: int
    #: Bumped by every action that makes queued step jobs stale.
    step_token: int
    next_step_at: datetime | None
    reached_somebody: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class Transition:
    """A run's status after an action, and when the step it queues is due (None: none)."""

    status: RunStatus
    step_due: datetime | None = None


def started(now: datetime) -> RunStatus:
    """A new run: escalating, its first step due now."""
    return RunStatus(
        state=RunState.ACTIVE,
        step_index=0,
        step_token=0,
        next_step_at=now,
        reached_somebody=False,
        acknowledged_at=None,
        acknowledged_by=None,
        resolved_at=None,
        updated_at=now,
    )


def step_is_current(status: RunStatus, token: int, index: int) -> bool:
    """Whether a step job queued with ``token`` for step ``index`` is still the run's next step."""
    return (
        status.state == RunState.ACTIVE
        and status.step_token == token
        and status.step_index == index
    )


def timeout_is_current(status: RunStatus, token: int) -> bool:
    """Whether an acknowledgement timeout queued with ``token`` still applies."""
    return status.state == RunState.ACKNOWLEDGED and status.step_token == token


def _superseding(status: RunStatus, now: datetime) -> RunStatus:
    """``status`` with a new step token: every step job queued before is stale."""
    return replace(status, step_token=status.step_token + 1, updated_at=now)


def _escalating(status: RunStatus, now: datetime) -> RunStatus:
    """Escalating again (any acknowledgement overridden), with a new token."""
    return replace(
        _superseding(status, now),
        state=RunState.ACTIVE,
        acknowledged_at=None,
        acknowledged_by=None,
    )


def acknowledge(status: RunStatus, by: str, now: datetime) -> Transition | None:
    """Stop escalating; None when the run was not escalating (acknowledged or resolved)."""
    if status.state != RunState.ACTIVE:
        return None
    return Transition(
        replace(
            _superseding(status, now),
            state=RunState.ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_by=by,
            next_step_at=None,
        )
    )


def resolve(status: RunStatus, now: datetime) -> Transition | None:
    """Stop everything; None when the run was resolved already."""
    if not status.is_open:
        return None
    return Transition(
        replace(
            _superseding(status, now),
            state=RunState.RESOLVED,
            resolved_at=now,
            next_step_at=None,
        )
    )


def retrigger(status: RunStatus, now: datetime) -> Transition:
    """Escalate again from the first step, now (an acknowledgement timed out)."""
    return Transition(
        replace(_escalating(status, now), step_index=0, reached_somebody=False, next_step_at=now),
        now,
    )


def escalate_now(run_id: int, status: RunStatus, policy: Policy, now: datetime) -> Transition:
    """Take the next step now instead of when the current step times out."""
    if not status.is_open:
        raise EscalationClosed(
            f"escalation {run_id} is {status.state}; only open escalations escalate"
        )
    if status.step_index >= policy.total_steps:
        raise PolicyExhausted(f"escalation {run_id} has no further step: its policy is exhausted")
    return Transition(replace(_escalating(status, now), next_step_at=now), now)


def reassign(run_id: int, status: RunStatus, policy: Policy, now: datetime) -> Transition:
    """Somebody is paged by hand now: escalating again, the policy resuming after the
    current step's timeout (when a step is left)."""
    if not status.is_open:
        raise EscalationClosed(
            f"escalation {run_id} is {status.state}; only open escalations re-assign"
        )
    if status.step_index >= policy.total_steps:
        return Transition(_escalating(status, now))
    due = now + policy.step(reassigned_step(status)).timeout
    return Transition(replace(_escalating(status, now), next_step_at=due), due)


def reassigned_step(status: RunStatus) -> int:
    """The step number a re-assignment's page belongs to: the latest step taken."""
    return max(status.step_index - 1, 0)


def step_after_dead_page(status: RunStatus, policy: Policy, page_step: int) -> int | None:
    """The step to take now that a page of step ``page_step`` died, if the run should move on.

    Only an escalating run whose latest step taken is ``page_step`` moves on
    (a later step may have been taken since), and only to a step its policy
    has. Whether another page of that step is still open is the caller's to
    check: then somebody may still answer, and the run waits.
    """
    if status.state != RunState.ACTIVE:
        return None
    following = page_step + 1
    stopped = status.next_step_at is None and status.step_index >= policy.total_steps
    if following >= policy.total_steps or not (status.step_index == following or stopped):
        return None
    return following


def move_on(status: RunStatus, following: int, reached_somebody: bool, now: datetime) -> Transition:
    """Take step ``following`` now: the step before it reached nobody (its pages died)."""
    return Transition(
        replace(
            _superseding(status, now),
            step_index=following,
            reached_somebody=reached_somebody,
            next_step_at=now,
        ),
        now,
    )


def advance(
    status: RunStatus,
    now: datetime,
    *,
    step_index: int,
    next_step_at: datetime | None,
    reached_somebody: bool,
) -> Transition:
    """A step was taken: the step due next and when (None: none), with the same token."""
    return Transition(
        replace(
            status,
            step_index=step_index,
            next_step_at=next_step_at,
            reached_somebody=reached_somebody,
            updated_at=now,
        ),
        next_step_at,
    )
