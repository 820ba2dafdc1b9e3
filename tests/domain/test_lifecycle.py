from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.lifecycle import (
    OPEN_STATUSES,
    DurationStats,
    IncidentTimes,
    InvalidTransition,
    Milestones,
    ReasonRequired,
    Status,
    TransitionKind,
    UnknownStatus,
    allowed_targets,
    duration_stats,
    micros_stats,
    parse_status,
    ranks,
    requires_reason,
    response_metrics,
    stamp,
    stats_from_ranks,
    time_to_acknowledge,
    time_to_detect,
    time_to_resolve,
    transition,
)

T, RESP, MIT, RES, CLOSED = (
    Status.TRIAGE,
    Status.RESPONDING,
    Status.MITIGATED,
    Status.RESOLVED,
    Status.CLOSED,
)

#: (from, to) → (kind, reason required): the whole allowed graph.
ALLOWED = {
    (T, RESP): (TransitionKind.RESPOND, False),
    (T, MIT): (TransitionKind.MITIGATE, False),
    (T, RES): (TransitionKind.DISMISS, True),
    (RESP, MIT): (TransitionKind.MITIGATE, False),
    (RESP, RES): (TransitionKind.RESOLVE, False),
    (MIT, RESP): (TransitionKind.MITIGATION_FAILED, True),
    (MIT, RES): (TransitionKind.RESOLVE, False),
    (RES, RESP): (TransitionKind.REOPEN, True),
    (RES, CLOSED): (TransitionKind.CLOSE, False),
}
FORBIDDEN = [pair for pair in product(Status, Status) if pair not in ALLOWED]

START = datetime(2026, 2, 15, 14, 15, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def test_the_graph_has_nine_moves_and_sixteen_refusals() -> None:
    assert len(ALLOWED) == 9
    assert len(FORBIDDEN) == 16


@pytest.mark.parametrize(("current", "target"), list(ALLOWED))
def test_every_allowed_transition(current: Status, target: Status) -> None:
    kind, needs_reason = ALLOWED[(current, target)]
    result = transition(current, target, "because")
    assert (result.source, result.target, result.kind, result.reason) == (
        current,
        target,
        kind,
        "because",
    )
    assert requires_reason(current, target) is needs_reason
    if needs_reason:
        for missing in (None, "", "   "):
            with pytest.raises(ReasonRequired) as raised:
                transition(current, target, missing)
            assert (
                str(raised.value) == f"reason: required to go from {current} to {target} ({kind})"
            )
    else:
        assert transition(current, target).reason is None
        assert transition(current, target, "  ").reason is None


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_every_forbidden_transition(current: Status, target: Status) -> None:
    with pytest.raises(InvalidTransition) as raised:
        transition(current, target, "a reason does not help")
    error = raised.value
    assert (error.current, error.target) == (current, target)
    assert error.allowed == tuple(t for t in Status if (current, t) in ALLOWED)
    with pytest.raises(InvalidTransition):
        requires_reason(current, target)


def test_allowed_targets_and_error_messages() -> None:
    assert allowed_targets(T) == (RESP, MIT, RES)
    assert allowed_targets(RESP) == (MIT, RES)
    assert allowed_targets(MIT) == (RESP, RES)
    assert allowed_targets(RES) == (RESP, CLOSED)
    assert allowed_targets(CLOSED) == ()
    with pytest.raises(InvalidTransition) as raised:
        transition(T, CLOSED)
    assert (
        str(raised.value)
        == "cannot go from triage to closed; allowed: responding, mitigated, resolved"
    )
    with pytest.raises(InvalidTransition) as raised:
        transition(CLOSED, RESP, "it came back")
    assert (
        str(raised.value) == "cannot go from closed to responding; allowed: none (closed is final)"
    )


def test_reason_is_trimmed() -> None:
    assert transition(T, RES, "  false alarm: flapping probe \n").reason == (
        "false alarm: flapping probe"
    )


def test_open_statuses() -> None:
    assert frozenset({T, RESP, MIT}) == OPEN_STATUSES


def test_parse_status() -> None:
    assert parse_status(" Mitigated ") is MIT
    with pytest.raises(UnknownStatus, match="unknown status 'done'; expected one of: triage,"):
        parse_status("done")


# Milestones.


def run(*steps: tuple[Status, float], reason: str = "why") -> tuple[Status, Milestones]:
    """Walk the lifecycle from triage; each step is (target, minutes after START)."""
    status = T
    milestones = Milestones(detected_at=START, impact_started_at=at(-13))
    for target, minutes in steps:
        result = transition(status, target, reason)
        milestones = stamp(milestones, result, at(minutes))
        status = target
    return status, milestones


def test_the_usual_path_sets_each_milestone_once() -> None:
    status, m = run((RESP, 3), (MIT, 17), (RES, 34), (CLOSED, 60))
    assert status is CLOSED
    assert m == Milestones(
        detected_at=START,
        impact_started_at=at(-13),
        acknowledged_at=at(3),
        mitigated_at=at(17),
        resolved_at=at(34),
        closed_at=at(60),
        reopen_count=0,
    )
    assert time_to_detect(m) == timedelta(minutes=13)
    assert time_to_acknowledge(m) == timedelta(minutes=3)
    assert time_to_resolve(status, m) == timedelta(minutes=34)


def test_false_alarm_acknowledges_and_resolves_without_mitigation() -> None:
    status, m = run((RES, 4))
    assert (m.acknowledged_at, m.mitigated_at, m.resolved_at) == (at(4), None, at(4))
    assert time_to_resolve(status, m) == timedelta(minutes=4)


def test_mitigating_straight_from_triage_counts_as_acknowledgement() -> None:
    _, m = run((MIT, 6))
    assert (m.acknowledged_at, m.mitigated_at) == (at(6), at(6))


def test_failed_mitigation_keeps_the_first_mitigation_time() -> None:
    _, m = run((RESP, 1), (MIT, 10), (RESP, 15), (MIT, 25), (RES, 40))
    assert (m.acknowledged_at, m.mitigated_at, m.resolved_at) == (at(1), at(10), at(40))


def test_reopen_keeps_history_and_mttr_spans_until_the_final_resolution() -> None:
    status, m = run((RESP, 2), (RES, 20), (RESP, 45))
    assert status is RESP
    assert (m.resolved_at, m.reopen_count) == (at(20), 1)
    assert time_to_resolve(status, m) is None
    result = transition(status, RES)
    m = stamp(m, result, at(70))
    assert (m.acknowledged_at, m.resolved_at, m.reopen_count) == (at(2), at(70), 1)
    assert time_to_resolve(RES, m) == timedelta(minutes=70)


def test_stamp_rejects_naive_and_pre_detection_times() -> None:
    m = Milestones(detected_at=START)
    result = transition(T, RESP)
    with pytest.raises(ValueError, match="at: expected a timezone-aware time"):
        stamp(m, result, datetime(2026, 2, 15, 15, 0))
    with pytest.raises(ValueError, match="at: a status change cannot happen before"):
        stamp(m, result, at(-1))


def test_milestones_validate_their_times() -> None:
    with pytest.raises(ValueError, match="detected_at: expected a timezone-aware"):
        Milestones(detected_at=datetime(2026, 2, 15))
    with pytest.raises(ValueError, match="impact_started_at: the impact cannot start after"):
        Milestones(detected_at=START, impact_started_at=at(1))


def test_metrics_are_none_when_the_inputs_are_missing() -> None:
    m = Milestones(detected_at=START)
    assert time_to_detect(m) is None
    assert time_to_acknowledge(m) is None
    assert time_to_resolve(RES, m) is None
    assert time_to_resolve(RESP, Milestones(detected_at=START, resolved_at=at(5))) is None


# Aggregates.


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=v) for v in values]


@given(st.lists(st.integers(min_value=0, max_value=10**15)))
def test_stats_of_microseconds_are_those_of_the_durations(micros: list[int]) -> None:
    spans = [timedelta(microseconds=value) for value in micros]
    assert micros_stats(micros) == duration_stats(spans)


def test_duration_stats() -> None:
    assert duration_stats([]) == DurationStats(count=0, mean=None, median=None, p90=None)
    assert duration_stats(minutes(7)) == DurationStats(
        count=1, mean=timedelta(minutes=7), median=timedelta(minutes=7), p90=timedelta(minutes=7)
    )
    stats = duration_stats(minutes(40, 10, 20, 30))
    assert stats == DurationStats(
        count=4,
        mean=timedelta(minutes=25),
        median=timedelta(minutes=25),
        p90=timedelta(minutes=40),
    )
    ten = duration_stats(minutes(*range(1, 11)))
    assert (ten.median, ten.p90) == (timedelta(minutes=5.5), timedelta(minutes=9))
    eleven = duration_stats(minutes(*range(1, 12)))
    assert (eleven.median, eleven.p90) == (timedelta(minutes=6), timedelta(minutes=10))


@given(st.integers(min_value=1, max_value=10**12))
def test_ranks_are_the_middle_and_the_nearest_rank_90th_percentile(count: int) -> None:
    at = ranks(count)
    # The middle one twice, or the two middle ones.
    assert at.lower_middle + at.upper_middle == count + 1
    assert (at.lower_middle == at.upper_middle) == (count % 2 == 1)
    # Nearest rank: the smallest rank that at least 90% of the values do not exceed.
    assert 10 * at.p90 >= 9 * count > 10 * (at.p90 - 1)


def test_ranks_need_a_value() -> None:
    with pytest.raises(ValueError, match="count: ranks need at least one value"):
        ranks(0)


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=60))
def test_stats_from_ranks_are_the_stats_of_the_values(micros: list[int]) -> None:
    values = sorted(timedelta(microseconds=m) for m in micros)
    at = ranks(len(values))
    assert stats_from_ranks(
        len(values),
        sum(values, timedelta()),
        values[at.lower_middle - 1],
        values[at.upper_middle - 1],
        values[at.p90 - 1],
    ) == duration_stats(reversed(values))


def incident(
    ack: float, resolved: float | None, status: Status, drill: bool = False
) -> IncidentTimes:
    return IncidentTimes(
        status=status,
        milestones=Milestones(
            detected_at=START,
            impact_started_at=at(-ack * 2),
            acknowledged_at=at(ack),
            resolved_at=at(resolved) if resolved is not None else None,
        ),
        drill=drill,
    )


def test_response_metrics_exclude_drills_and_unresolved_incidents() -> None:
    metrics = response_metrics(
        [
            incident(2, 30, RES),
            incident(4, 60, CLOSED),
            incident(6, None, RESP),
            incident(8, 20, RESP),  # reopened: its old resolution does not count
            incident(100, 1000, CLOSED, drill=True),
        ]
    )
    assert metrics.mttd == DurationStats(
        count=4,
        mean=timedelta(minutes=10),
        median=timedelta(minutes=10),
        p90=timedelta(minutes=16),
    )
    assert metrics.mtta == DurationStats(
        count=4,
        mean=timedelta(minutes=5),
        median=timedelta(minutes=5),
        p90=timedelta(minutes=8),
    )
    assert metrics.mttr == DurationStats(
        count=2,
        mean=timedelta(minutes=45),
        median=timedelta(minutes=45),
        p90=timedelta(minutes=60),
    )


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50))
def test_stats_lie_within_the_observed_range(seconds: list[int]) -> None:
    values = [timedelta(seconds=s) for s in seconds]
    stats = duration_stats(values)
    assert stats.count == len(values)
    assert stats.mean is not None and stats.median is not None and stats.p90 is not None
    assert min(values) <= stats.median <= stats.p90 <= max(values)
    assert min(values) <= stats.mean <= max(values)
    assert stats.p90 in values
    assert sum(v <= stats.p90 for v in values) >= 0.9 * len(values)


@given(st.lists(st.sampled_from(list(Status)), max_size=12))
def test_any_walk_keeps_milestones_consistent(targets: list[Status]) -> None:
    status = T
    milestones = Milestones(detected_at=START)
    clock = 0
    for target in targets:
        if (status, target) not in ALLOWED:
            continue
        clock += 1
        milestones = stamp(milestones, transition(status, target, "why"), at(clock))
        status = target
    if status is not T:
        assert milestones.acknowledged_at == at(1)
    else:
        assert milestones.acknowledged_at is None
    if status in (RES, CLOSED):
        assert milestones.resolved_at is not None
        assert time_to_resolve(status, milestones) == milestones.resolved_at - START
    else:
        assert time_to_resolve(status, milestones) is None
