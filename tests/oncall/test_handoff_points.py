"""Where handoffs are and who hands to whom, on a follow-the-sun schedule and simpler ones."""

from __future__ import annotations

from typing import Any

from tests.oncall.support import at
from tocsin.domain.schedule import Schedule
from tocsin.oncall.config_schema import ScheduleConfig
from tocsin.oncall.handoff_points import HandoffPoint, handoff_point, is_handoff, next_handoff


def region(name: str, handoff: str, window: tuple[str, str], people: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "rotation": "weekly",
        "handoff_day": "monday",
        "handoff_time": handoff,
        "participants": people,
        "restrictions": [{"start": window[0], "end": window[1]}],
    }


#: The follow-the-sun example of docs/schedules.md: three regions, eight hours each.
FOLLOW_THE_SUN = ScheduleConfig.model_validate(
    {
        "time_zone": "UTC",
        "layers": [
            region("apac", "00:00", ("00:00", "08:00"), ["kenji", "mei"]),
            region("emea", "08:00", ("08:00", "16:00"), ["alice", "bruno"]),
            region("americas", "16:00", ("16:00", "24:00"), ["carlos", "dana"]),
        ],
    }
).to_schedule("follow-the-sun")


def test_each_region_takes_over_from_the_one_going_off_duty() -> None:
    assert handoff_point(FOLLOW_THE_SUN, "americas", at("2026-01-06T16:00Z")) == HandoffPoint(
        "americas", at("2026-01-06T16:00Z"), "alice", "carlos", at("2026-01-06T00:00Z")
    )
    assert handoff_point(FOLLOW_THE_SUN, "emea", at("2026-01-06T08:00Z")) == HandoffPoint(
        "emea", at("2026-01-06T08:00Z"), "kenji", "alice", at("2026-01-05T16:00Z")
    )
    assert handoff_point(FOLLOW_THE_SUN, "apac", at("2026-01-13T00:00Z")) == HandoffPoint(
        "apac", at("2026-01-13T00:00Z"), "dana", "mei", at("2026-01-12T08:00Z")
    )


def test_handoffs_are_found_only_where_someone_takes_over() -> None:
    assert not is_handoff(FOLLOW_THE_SUN, "emea", at("2026-01-06T12:00Z"))
    assert not is_handoff(FOLLOW_THE_SUN, "emea", at("2026-01-06T16:00Z"))
    assert handoff_point(FOLLOW_THE_SUN, "emea", at("2026-01-06T16:00Z")) is None
    after = at("2026-01-06T08:00Z")
    assert next_handoff(FOLLOW_THE_SUN, "emea", after, inclusive=True) == after
    assert next_handoff(FOLLOW_THE_SUN, "emea", after, inclusive=False) == at("2026-01-07T08:00Z")


def weekly(people: list[str], **extra: Any) -> Schedule:
    spec = {"layers": [{"name": "primary", "rotation": "weekly", "participants": people}]}
    return ScheduleConfig.model_validate({**spec, **extra}).to_schedule("s")


def test_the_same_person_continuing_is_no_handoff() -> None:
    assert (
        next_handoff(weekly(["alice"]), "primary", at("2026-01-01T00:00Z"), inclusive=True) is None
    )
    # alice, alice, bob: the only handoffs are to bob and back to alice.
    two = weekly(["alice", "alice", "bob"])
    found = next_handoff(two, "primary", at("2026-01-05T00:00Z"), inclusive=False)
    assert found == at("2026-01-19T00:00Z")
    point = handoff_point(two, "primary", found)
    assert point is not None
    assert (point.outgoing, point.incoming, point.period_start) == (
        "alice",
        "bob",
        at("2026-01-05T00:00Z"),
    )


def test_overrides_hand_off_at_both_ends() -> None:
    schedule = weekly(
        ["alice", "bob"],
        overrides=[
            {
                "layer": "primary",
                "user": "carol",
                "start": "2026-01-07T12:00:00Z",
                "end": "2026-01-08T12:00:00Z",
            }
        ],
    )
    start = next_handoff(schedule, "primary", at("2026-01-05T00:01Z"), inclusive=True)
    assert start == at("2026-01-07T12:00Z")
    end = next_handoff(schedule, "primary", start, inclusive=False)
    assert end == at("2026-01-08T12:00Z")
    point = handoff_point(schedule, "primary", end)
    assert point is not None
    assert (point.outgoing, point.incoming, point.period_start) == ("carol", "alice", start)
