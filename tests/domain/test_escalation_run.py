"""The escalation run's state machine: examples, and the superseded-step rule as a property."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain import escalation_run as machine
from tocsin.domain.escalation import Policy, Step, Target
from tocsin.domain.escalation_run import (
    EscalationClosed,
    PolicyExhausted,
    RunState,
    RunStatus,
    Transition,
)
from tocsin.domain.refusals import Conflict

T0 = datetime(2026, 2, 16, 14, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=7)
POLICY = Policy(
    "two-steps",
    (
        Step((Target(user="a"),), timedelta(minutes=5)),
        Step((Target(user="b"),), timedelta(minutes=10)),
    ),
)


def escalating(step_index: int = 1, token: int = 3) -> RunStatus:
    """A run that took ``step_index`` steps and waits for the next."""
    return replace(
        machine.started(T0), step_index=step_index, step_token=token, reached_somebody=True
    )


def acknowledged(token: int = 3) -> RunStatus:
    found = machine.acknowledge(escalating(token=token - 1), "ann", T0)
    assert found is not None
    return found.status


def test_a_new_run_escalates_from_its_first_step_now() -> None:
    status = machine.started(T0)
    assert (status.state, status.step_index, status.step_token) == (RunState.ACTIVE, 0, 0)
    assert status.next_step_at == T0 and not status.reached_somebody


def test_acknowledging_stops_the_steps_and_supersedes_them() -> None:
    found = machine.acknowledge(escalating(), "ann", LATER)
    assert found == Transition(
        replace(
            escalating(),
            state=RunState.ACKNOWLEDGED,
            step_token=4,
            acknowledged_at=LATER,
            acknowledged_by="ann",
            next_step_at=None,
            updated_at=LATER,
        )
    )
    assert machine.acknowledge(acknowledged(), "bob", LATER) is None


def test_resolving_stops_an_open_run_once() -> None:
    for status in (escalating(), acknowledged()):
        found = machine.resolve(status, LATER)
        assert found is not None
        assert found.status.state == RunState.RESOLVED
        assert found.status.resolved_at == LATER and found.status.next_step_at is None
        assert found.step_due is None
        assert machine.resolve(found.status, LATER) is None


def test_a_retrigger_starts_again_from_the_first_step_now() -> None:
    found = machine.retrigger(acknowledged(), LATER)
    status = found.status
    assert (status.state, status.step_index, status.reached_somebody) == (
        RunState.ACTIVE,
        0,
        False,
    )
    assert status.acknowledged_at is None and status.acknowledged_by is None
    assert found.step_due == LATER == status.next_step_at


def test_escalating_now_takes_the_next_step_now() -> None:
    found = machine.escalate_now(9, acknowledged(), POLICY, LATER)
    assert found.status.state == RunState.ACTIVE and found.step_due == LATER
    assert found.status.step_index == acknowledged().step_index


def test_escalating_now_is_refused_past_the_policy_or_once_resolved() -> None:
    with pytest.raises(PolicyExhausted, match="escalation 9 has no further step"):
        machine.escalate_now(9, escalating(step_index=2), POLICY, LATER)
    resolved = machine.resolve(escalating(), T0)
    assert resolved is not None
    with pytest.raises(EscalationClosed, match="escalation 9 is resolved; only open"):
        machine.escalate_now(9, resolved.status, POLICY, LATER)
    assert issubclass(EscalationClosed, Conflict) and issubclass(PolicyExhausted, Conflict)


def test_a_reassignment_resumes_the_policy_after_the_current_steps_timeout() -> None:
    found = machine.reassign(9, escalating(step_index=1), POLICY, LATER)
    assert machine.reassigned_step(found.status) == 0
    assert found.step_due == LATER + timedelta(minutes=5)
    exhausted = machine.reassign(9, escalating(step_index=2), POLICY, LATER)
    assert exhausted.step_due is None
    assert machine.reassigned_step(exhausted.status) == 1


def test_a_dead_page_moves_the_run_on_only_from_the_latest_step() -> None:
    assert machine.step_after_dead_page(escalating(step_index=1), POLICY, 0) == 1
    assert machine.step_after_dead_page(escalating(step_index=2), POLICY, 0) is None
    assert machine.step_after_dead_page(escalating(step_index=2), POLICY, 1) is None
    assert machine.step_after_dead_page(acknowledged(), POLICY, 0) is None
    moved = machine.move_on(escalating(step_index=1), 1, False, LATER)
    assert (moved.status.step_index, moved.step_due) == (1, LATER)


def test_taking_a_step_keeps_the_token() -> None:
    found = machine.advance(
        escalating(step_index=1), LATER, step_index=2, next_step_at=None, reached_somebody=True
    )
    assert found.status.step_token == escalating().step_token
    assert found.step_due is None
    assert machine.step_is_current(escalating(step_index=1), 3, 1)


ACTIONS = st.sampled_from(["acknowledge", "resolve", "retrigger", "escalate", "reassign"])


def _act(status: RunStatus, action: str) -> Transition | None:
    if action == "acknowledge":
        return machine.acknowledge(status, "ann", LATER)
    if action == "resolve":
        return machine.resolve(status, LATER)
    if action == "retrigger":
        return machine.retrigger(status, LATER)
    try:
        if action == "escalate":
            return machine.escalate_now(1, status, POLICY, LATER)
        return machine.reassign(1, status, POLICY, LATER)
    except Conflict:
        return None


@given(
    state=st.sampled_from(list(RunState)),
    step_index=st.integers(0, 2),
    token=st.integers(0, 50),
    actions=st.lists(ACTIONS, min_size=1, max_size=6),
)
def test_every_action_supersedes_the_step_jobs_queued_before_it(
    state: RunState, step_index: int, token: int, actions: list[str]
) -> None:
    status = replace(escalating(step_index, token), state=state)
    for action in actions:
        before = status
        found = _act(status, action)
        if found is None:
            continue  # refused or nothing to do: nothing changed
        status = found.status
        assert status.step_token == before.step_token + 1
        # No job queued before the action is current any more.
        assert not machine.step_is_current(status, before.step_token, before.step_index)
        assert not machine.timeout_is_current(status, before.step_token)
        # A step the action queues is current, for the new token.
        if found.step_due is not None:
            assert machine.step_is_current(status, status.step_token, status.step_index)
        assert status.is_open == (status.state != RunState.RESOLVED)
