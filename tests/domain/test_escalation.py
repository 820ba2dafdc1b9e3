"""Escalation planning: examples from the seed chain, and properties over random policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.escalation import (
    Policy,
    Resolution,
    Step,
    StepOutcome,
    StopReason,
    Target,
    Urgency,
    decide,
    plan,
    unreached,
)

T0 = datetime(2026, 2, 16, 14, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)
PRIMARY = Target(schedule="oncall", layer="primary")
SECONDARY = Target(schedule="oncall", layer="secondary")
LEAD = Target(role="team_lead")
MANAGER = Target(role="engineering_manager")
SEED = Policy(
    "seed",
    tuple(Step((target,), FIVE) for target in (PRIMARY, SECONDARY, LEAD, MANAGER)),
)
PEOPLE = {PRIMARY: ("ana",), SECONDARY: ("ben",), LEAD: ("lea",)}


def resolver(target: Target, _at: datetime) -> Resolution:
    people = PEOPLE.get(target, ())
    return Resolution(people, None if people else "nobody assigned: no engineering_manager")


def timeline(steps: list[StepOutcome]) -> list[tuple[int, tuple[str, ...]]]:
    return [(int((s.at - T0).total_seconds() // 60), s.people) for s in steps]


def test_seed_chain_pages_each_step_five_minutes_apart() -> None:
    steps, stopped = plan(SEED, T0, resolver)
    assert timeline(steps) == [(0, ("ana",)), (5, ("ben",)), (10, ("lea",)), (15, ())]
    assert steps[3].nobody_reason == "nobody assigned: no engineering_manager"
    assert stopped is StopReason.EXHAUSTED


def test_acknowledgement_stops_further_steps() -> None:
    steps, stopped = plan(SEED, T0, resolver, acknowledged_at=T0 + timedelta(minutes=7))
    assert timeline(steps) == [(0, ("ana",)), (5, ("ben",))]
    assert stopped is StopReason.ACKNOWLEDGED


def test_acknowledgement_at_the_instant_a_step_is_due_wins() -> None:
    steps, _ = plan(SEED, T0, resolver, acknowledged_at=T0 + FIVE)
    assert timeline(steps) == [(0, ("ana",))]


def test_a_step_that_finds_nobody_moves_straight_on() -> None:
    policy = Policy("gap", (Step((MANAGER,), FIVE), Step((PRIMARY,), FIVE)))
    steps, _ = plan(policy, T0, resolver)
    assert timeline(steps) == [(0, ()), (0, ("ana",))]


def test_repeat_runs_the_whole_policy_again() -> None:
    policy = Policy("twice", (Step((PRIMARY,), FIVE), Step((SECONDARY,), FIVE)), repeat=1)
    steps, _ = plan(policy, T0, resolver)
    assert timeline(steps) == [(0, ("ana",)), (5, ("ben",)), (10, ("ana",)), (15, ("ben",))]
    assert [s.round for s in steps] == [0, 0, 1, 1]


def test_low_urgency_stops_after_the_first_step_that_reached_somebody() -> None:
    policy = Policy("low", (Step((MANAGER,), FIVE), Step((PRIMARY,), FIVE), Step((LEAD,), FIVE)))
    steps, stopped = plan(policy, T0, resolver, urgency=Urgency.LOW)
    assert timeline(steps) == [(0, ()), (0, ("ana",))]
    assert stopped is StopReason.LOW_URGENCY


def test_low_urgency_escalates_when_configured() -> None:
    policy = Policy("low", SEED.steps, escalate_low_urgency=True)
    steps, _ = plan(policy, T0, resolver, urgency=Urgency.LOW)
    assert len(steps) == 4


def test_a_step_whose_pages_all_died_moves_straight_on_at_any_urgency() -> None:
    for urgency in Urgency:
        taken = decide(SEED, 1, T0, resolver, urgency=urgency)
        assert taken.outcome is not None and taken.outcome.people == ("ben",)
        moved = unreached(SEED, taken.outcome)
        assert (moved.next_index, moved.next_at, moved.stopped) == (2, T0, None)
    last = decide(SEED, 3, T0, resolver)
    assert last.outcome is not None
    assert unreached(SEED, last.outcome).stopped is StopReason.EXHAUSTED


def test_each_person_is_paged_once_per_step() -> None:
    policy = Policy("both", (Step((PRIMARY, Target(user="ana"), SECONDARY), FIVE),))
    steps, _ = plan(policy, T0, resolver)
    assert steps[0].people == ("ana", "ben")


def test_decide_drops_steps_of_resolved_escalations() -> None:
    decision = decide(SEED, 1, T0, resolver, resolved=True)
    assert decision.outcome is None and decision.stopped is StopReason.RESOLVED


def test_snapshot_round_trips() -> None:
    policy = Policy("p", SEED.steps, repeat=2, escalate_low_urgency=True)
    assert Policy.from_snapshot(policy.snapshot()) == policy


def test_from_spec_reads_a_stored_policy_config() -> None:
    spec = {
        "steps": [{"targets": [{"user": "ana"}], "timeout_minutes": 3}],
        "repeat": 1,
    }
    policy = Policy.from_spec("p", spec)
    assert policy.steps == (Step((Target(user="ana"),), timedelta(minutes=3)),)
    assert policy.total_steps == 2


targets = st.sampled_from([PRIMARY, SECONDARY, LEAD, MANAGER])
policies = st.builds(
    lambda steps, repeat: Policy("random", tuple(steps), repeat),
    st.lists(
        st.builds(
            lambda ts, minutes: Step(tuple(ts), timedelta(minutes=minutes)),
            st.lists(targets, min_size=1, max_size=3),
            st.integers(1, 30),
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 3),
)


@given(policies, st.one_of(st.none(), st.integers(0, 200)))
def test_plan_properties(policy: Policy, ack_minute: int | None) -> None:
    acked = T0 + timedelta(minutes=ack_minute) if ack_minute is not None else None
    steps, stopped = plan(policy, T0, resolver, acknowledged_at=acked)
    # Steps happen in order, never after the acknowledgement, at most once each.
    assert [s.index for s in steps] == list(range(len(steps)))
    assert all(b.at >= a.at for a, b in pairwise(steps))
    if acked is not None:
        assert all(s.at < acked for s in steps)
    # Without acknowledgement, every step happens; the gap is the timeout or zero if nobody.
    if stopped is StopReason.EXHAUSTED:
        assert len(steps) == policy.total_steps
    for a, b in pairwise(steps):
        expected = policy.step(a.index).timeout if a.people else timedelta(0)
        assert b.at - a.at == expected
