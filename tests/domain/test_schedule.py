"""Who is on call: rotations, DST handoffs, restrictions and overrides, with concrete people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.domain.restriction import Restriction
from tocsin.domain.rotation import (
    DAILY,
    WEEKLY,
    Rotation,
    RotationClock,
    ShiftLength,
    handoff_anchor,
    wall_to_utc,
)
from tocsin.domain.schedule import Layer, OnCall, Override, Schedule, Shift, oncall_at, shifts

BERLIN = ZoneInfo("Europe/Berlin")
WEEK_1 = datetime(2026, 1, 5, 10, tzinfo=UTC)
WORKDAYS = frozenset(range(5))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def seed_like(*overrides: Override) -> Schedule:
    """The seed schedule: weekly, Monday 10:00 UTC, a/b/c primary and b/c/a secondary."""
    return Schedule(
        "seed",
        "UTC",
        (
            Layer("primary", Rotation(("engineer-a", "engineer-b", "engineer-c"), WEEK_1, WEEKLY)),
            Layer(
                "secondary", Rotation(("engineer-b", "engineer-c", "engineer-a"), WEEK_1, WEEKLY)
            ),
        ),
        overrides,
    )


def people(schedule: Schedule, instant: datetime) -> list[str | None]:
    return [entry.person for entry in oncall_at(schedule, instant)]


# --- rotations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "before", "after"),
    [
        (0, ["engineer-c", "engineer-a"], ["engineer-a", "engineer-b"]),
        (1, ["engineer-a", "engineer-b"], ["engineer-b", "engineer-c"]),
        (2, ["engineer-b", "engineer-c"], ["engineer-c", "engineer-a"]),
        (3, ["engineer-c", "engineer-a"], ["engineer-a", "engineer-b"]),
        (4, ["engineer-a", "engineer-b"], ["engineer-b", "engineer-c"]),
        (52, ["engineer-a", "engineer-b"], ["engineer-b", "engineer-c"]),
    ],
)
def test_weekly_handoff_is_monday_10_utc(week: int, before: list[str], after: list[str]) -> None:
    handoff = WEEK_1 + timedelta(weeks=week)
    assert handoff.weekday() == 0
    assert people(seed_like(), handoff - timedelta(minutes=1)) == before
    assert people(seed_like(), handoff) == after


def test_oncall_at_reports_layer_names_and_the_whole_shift() -> None:
    found = oncall_at(seed_like(), utc(2026, 1, 14, 3))
    assert found == [
        OnCall("primary", "engineer-b", utc(2026, 1, 12, 10), utc(2026, 1, 19, 10)),
        OnCall("secondary", "engineer-c", utc(2026, 1, 12, 10), utc(2026, 1, 19, 10)),
    ]
    layer, person, start, end = found[0]
    assert (layer, person, end - start) == ("primary", "engineer-b", timedelta(weeks=1))


def test_rotation_extends_before_its_anchor() -> None:
    assert people(seed_like(), utc(2025, 12, 29, 10)) == ["engineer-c", "engineer-a"]
    assert people(seed_like(), utc(2025, 12, 22, 10)) == ["engineer-b", "engineer-c"]


def test_results_are_utc_whatever_the_instant_zone() -> None:
    found = oncall_at(seed_like(), berlin(2026, 1, 5, 11))  # 10:00 UTC
    assert found[0].person == "engineer-a"
    assert found[0].start.tzinfo is UTC


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        oncall_at(seed_like(), datetime(2026, 1, 5, 10))
    with pytest.raises(ValueError, match="before start"):
        shifts(seed_like(), utc(2026, 1, 5), utc(2026, 1, 4))


def test_lookup_cost_does_not_grow_with_distance(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original: Callable[[RotationClock, int], datetime] = RotationClock.handoff

    def counting(self: RotationClock, turn: int) -> datetime:
        calls.append(turn)
        return original(self, turn)

    monkeypatch.setattr(RotationClock, "handoff", counting)
    # 5,218 weeks out: 5218 % 3 == 1, so engineer-b is primary.
    far = WEEK_1 + timedelta(weeks=5218, hours=1)
    assert people(seed_like(), far) == ["engineer-b", "engineer-c"]
    assert len(calls) <= 4  # two handoffs per layer, not one per past week


def test_hour_based_shifts_count_elapsed_time_across_dst() -> None:
    twelve_hours = Rotation(("day", "night"), berlin(2026, 3, 28, 8), ShiftLength(hours=12))
    schedule = Schedule("sun", "Europe/Berlin", (Layer("ops", twelve_hours),))
    # Clocks spring forward on 2026-03-29: 07:00 UTC is now 09:00 local.
    assert oncall_at(schedule, utc(2026, 3, 29, 7)) == [
        OnCall("ops", "day", utc(2026, 3, 29, 7), utc(2026, 3, 29, 19))
    ]


# --- local time and DST --------------------------------------------------------------


def test_daily_handoff_stays_at_local_10_across_spring_forward() -> None:
    rotation = Rotation(("alice", "bob"), berlin(2026, 3, 27, 10), DAILY)
    schedule = Schedule("daily", "Europe/Berlin", (Layer("primary", rotation),))
    found = shifts(schedule, utc(2026, 3, 28, 9), utc(2026, 3, 30, 8))
    assert found == [
        Shift("primary", "bob", utc(2026, 3, 28, 9), utc(2026, 3, 29, 8)),  # 23 hours
        Shift("primary", "alice", utc(2026, 3, 29, 8), utc(2026, 3, 30, 8)),
    ]
    assert found[0].end.astimezone(BERLIN).hour == 10
    assert people(schedule, utc(2026, 3, 29, 7, 59)) == ["bob"]
    assert people(schedule, utc(2026, 3, 29, 8)) == ["alice"]


def test_daily_handoff_stays_at_local_10_across_fall_back() -> None:
    rotation = Rotation(("alice", "bob"), berlin(2026, 10, 23, 10), DAILY)
    schedule = Schedule("daily", "Europe/Berlin", (Layer("primary", rotation),))
    assert oncall_at(schedule, utc(2026, 10, 25, 2)) == [
        OnCall("primary", "bob", utc(2026, 10, 24, 8), utc(2026, 10, 25, 9))  # 25 hours
    ]


def test_weekly_handoff_keeps_local_time_across_dst() -> None:
    rotation = Rotation(("alice", "bob"), berlin(2026, 3, 23, 10), WEEKLY)
    schedule = Schedule("weekly", "Europe/Berlin", (Layer("primary", rotation),))
    assert oncall_at(schedule, utc(2026, 3, 30, 7, 59))[0].person == "alice"
    assert oncall_at(schedule, utc(2026, 3, 30, 8)) == [
        OnCall("primary", "bob", utc(2026, 3, 30, 8), utc(2026, 4, 6, 8))
    ]


def test_nonexistent_handoff_moves_to_the_end_of_the_gap() -> None:
    assert wall_to_utc(datetime(2026, 3, 29, 2, 30), BERLIN) == utc(2026, 3, 29, 1)
    rotation = Rotation(("alice", "bob"), berlin(2026, 3, 27, 2, 30), DAILY)
    schedule = Schedule("early", "Europe/Berlin", (Layer("primary", rotation),))
    assert oncall_at(schedule, utc(2026, 3, 29, 1)) == [
        OnCall("primary", "alice", utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30))
    ]


def test_ambiguous_handoff_takes_the_first_occurrence() -> None:
    assert wall_to_utc(datetime(2026, 10, 25, 2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    rotation = Rotation(("alice", "bob"), berlin(2026, 10, 24, 2, 30), DAILY)
    schedule = Schedule("early", "Europe/Berlin", (Layer("primary", rotation),))
    assert people(schedule, utc(2026, 10, 25, 0, 29)) == ["alice"]
    assert people(schedule, utc(2026, 10, 25, 0, 30)) == ["bob"]
    # The second 02:15 (01:15 UTC) reads as before 02:30 on the clock, but the
    # handoff has already happened; the second 02:30 is not a second handoff.
    assert people(schedule, utc(2026, 10, 25, 1, 15)) == ["bob"]
    assert people(schedule, utc(2026, 10, 25, 1, 30)) == ["bob"]


def test_restriction_window_in_the_repeated_hour_is_its_first_occurrence() -> None:
    window = Restriction(frozenset(range(7)), time(2), time(2, 30))
    rotation = Rotation(("ana",), berlin(2026, 10, 19), WEEKLY)
    schedule = Schedule("s", "Europe/Berlin", (Layer("p", rotation, (window,)),))
    assert people(schedule, utc(2026, 10, 25, 0, 15)) == ["ana"]
    assert oncall_at(schedule, utc(2026, 10, 25, 1, 15)) == [
        OnCall("p", None, utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1))
    ]


def test_half_hour_dst_gap_is_found_exactly() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    # 2026-10-04 02:00 local jumps to 02:30 (+10:30 to +11:00).
    assert wall_to_utc(datetime(2026, 10, 4, 2, 10), lord_howe) == utc(2026, 10, 3, 15, 30)


def test_handoff_anchor_finds_the_next_handoff() -> None:
    assert handoff_anchor(datetime(2026, 1, 7, 12), time(10), 0) == datetime(2026, 1, 12, 10)
    assert handoff_anchor(datetime(2026, 1, 5, 10), time(10), 0) == datetime(2026, 1, 5, 10)
    assert handoff_anchor(datetime(2026, 1, 5, 11), time(10), None) == datetime(2026, 1, 6, 10)
    assert handoff_anchor(datetime(2026, 1, 5, 11), None, None) == datetime(2026, 1, 5, 11)


# --- restrictions ---------------------------------------------------------------------


def follow_the_sun() -> Schedule:
    monday = utc(2026, 1, 5)

    def layer(name: str, who: tuple[str, str], start: int, end: int) -> Layer:
        window = Restriction(WORKDAYS, time(start), time(end))
        return Layer(name, Rotation(who, monday, WEEKLY), (window,))

    return Schedule(
        "sun",
        "UTC",
        (
            layer("apac", ("eve", "fay"), 0, 8),
            layer("emea", ("ana", "ben"), 8, 16),
            layer("amer", ("cat", "dan"), 16, 0),
        ),
    )


def test_follow_the_sun_hands_over_between_regions() -> None:
    schedule = follow_the_sun()
    assert oncall_at(schedule, utc(2026, 1, 6, 9)) == [
        OnCall("apac", None, utc(2026, 1, 6, 8), utc(2026, 1, 7, 0)),
        OnCall("emea", "ana", utc(2026, 1, 6, 8), utc(2026, 1, 6, 16)),
        OnCall("amer", None, utc(2026, 1, 6, 0), utc(2026, 1, 6, 16)),
    ]
    assert people(schedule, utc(2026, 1, 6, 16)) == [None, None, "cat"]
    assert people(schedule, utc(2026, 1, 7, 3)) == ["eve", None, None]
    assert people(schedule, utc(2026, 1, 13, 9)) == [None, "ben", None]


def test_weekend_is_uncovered_outside_windows() -> None:
    assert oncall_at(follow_the_sun(), utc(2026, 1, 10, 12))[1] == OnCall(
        "emea", None, utc(2026, 1, 9, 16), utc(2026, 1, 12, 8)
    )
    # Friday's 16:00-24:00 window ends at midnight, Saturday is empty.
    assert people(follow_the_sun(), utc(2026, 1, 9, 23, 59)) == [None, None, "cat"]
    assert people(follow_the_sun(), utc(2026, 1, 10, 0)) == [None, None, None]


def test_restriction_windows_are_cut_at_handoffs() -> None:
    rotation = Rotation(("ana", "ben"), utc(2026, 1, 5, 10), WEEKLY)
    office = Restriction(WORKDAYS, time(8), time(16))
    schedule = Schedule("office", "UTC", (Layer("primary", rotation, (office,)),))
    assert shifts(schedule, utc(2026, 1, 12), utc(2026, 1, 13)) == [
        Shift("primary", "ana", utc(2026, 1, 12, 8), utc(2026, 1, 12, 10)),
        Shift("primary", "ben", utc(2026, 1, 12, 10), utc(2026, 1, 12, 16)),
    ]


def test_restriction_past_midnight_and_day_windows() -> None:
    friday_night = Restriction(frozenset({4}), time(22), time(6))
    sunday = Restriction(frozenset({6}))
    rotation = Rotation(("nia",), utc(2026, 1, 5), WEEKLY)
    schedule = Schedule("nights", "Europe/Berlin", (Layer("n", rotation, (friday_night, sunday)),))
    assert shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 12)) == [
        Shift("n", "nia", utc(2026, 1, 9, 21), utc(2026, 1, 10, 5)),
        Shift("n", "nia", utc(2026, 1, 10, 23), utc(2026, 1, 11, 23)),
    ]


def test_restriction_windows_follow_local_time_across_dst() -> None:
    office = Restriction(WORKDAYS, time(9), time(17))
    rotation = Rotation(("ana",), berlin(2026, 3, 23), WEEKLY)
    schedule = Schedule("office", "Europe/Berlin", (Layer("p", rotation, (office,)),))
    friday, monday = shifts(schedule, utc(2026, 3, 27), utc(2026, 3, 31))[:2]
    assert (friday.start, friday.end) == (utc(2026, 3, 27, 8), utc(2026, 3, 27, 16))
    assert (monday.start, monday.end) == (utc(2026, 3, 30, 7), utc(2026, 3, 30, 15))


def test_restrictions_covering_the_whole_week_leave_the_layer_unrestricted() -> None:
    always = Restriction(frozenset(range(7)))
    rotation = Rotation(("ana", "ben"), WEEK_1, WEEKLY)
    schedule = Schedule("s", "UTC", (Layer("p", rotation, (always,)),))
    assert oncall_at(schedule, utc(2026, 1, 10)) == [
        OnCall("p", "ana", WEEK_1, WEEK_1 + timedelta(weeks=1))
    ]


def test_empty_turn_leaves_the_layer_empty() -> None:
    rotation = Rotation(("ana", None), WEEK_1, WEEKLY)
    schedule = Schedule("s", "UTC", (Layer("p", rotation),))
    assert oncall_at(schedule, utc(2026, 1, 13)) == [
        OnCall("p", None, utc(2026, 1, 12, 10), utc(2026, 1, 19, 10))
    ]
    assert [shift.person for shift in shifts(schedule, WEEK_1, utc(2026, 1, 26, 10))] == [
        "ana",
        "ana",
    ]


# --- overrides ----------------------------------------------------------------------------


def test_override_replaces_the_person_for_its_range_only() -> None:
    cover = Override("primary", "dave", utc(2026, 1, 6, 12), utc(2026, 1, 6, 18))
    schedule = seed_like(cover)
    assert oncall_at(schedule, utc(2026, 1, 6, 11, 59))[0] == OnCall(
        "primary", "engineer-a", WEEK_1, utc(2026, 1, 6, 12)
    )
    assert oncall_at(schedule, utc(2026, 1, 6, 12))[0] == OnCall(
        "primary", "dave", utc(2026, 1, 6, 12), utc(2026, 1, 6, 18)
    )
    assert oncall_at(schedule, utc(2026, 1, 6, 18))[0] == OnCall(
        "primary", "engineer-a", utc(2026, 1, 6, 18), utc(2026, 1, 12, 10)
    )
    assert people(schedule, utc(2026, 1, 6, 13))[1] == "engineer-b"  # secondary untouched
    assert shifts(schedule, WEEK_1, utc(2026, 1, 12, 10))[:3] == [
        Shift("primary", "engineer-a", WEEK_1, utc(2026, 1, 6, 12)),
        Shift("primary", "dave", utc(2026, 1, 6, 12), utc(2026, 1, 6, 18), override=True),
        Shift("primary", "engineer-a", utc(2026, 1, 6, 18), utc(2026, 1, 12, 10)),
    ]


def test_later_overrides_win_where_they_overlap() -> None:
    schedule = seed_like(
        Override("primary", "dave", utc(2026, 1, 6, 12), utc(2026, 1, 6, 18)),
        Override("primary", "erin", utc(2026, 1, 6, 14), utc(2026, 1, 6, 16)),
    )
    found = shifts(schedule, utc(2026, 1, 6, 12), utc(2026, 1, 6, 18))
    assert [(shift.person, shift.start.hour, shift.end.hour) for shift in found[:3]] == [
        ("dave", 12, 14),
        ("erin", 14, 16),
        ("dave", 16, 18),
    ]


def test_back_to_back_overrides_for_one_person_merge() -> None:
    schedule = seed_like(
        Override("primary", "dave", utc(2026, 1, 6, 12), utc(2026, 1, 6, 14)),
        Override("primary", "dave", utc(2026, 1, 6, 14), utc(2026, 1, 6, 16)),
    )
    assert oncall_at(schedule, utc(2026, 1, 6, 13))[0] == OnCall(
        "primary", "dave", utc(2026, 1, 6, 12), utc(2026, 1, 6, 16)
    )


def test_override_across_a_handoff_and_into_an_uncovered_gap() -> None:
    office = Restriction(WORKDAYS, time(8), time(16))
    rotation = Rotation(("ana", "ben"), WEEK_1, WEEKLY)
    cover = Override("p", "zed", utc(2026, 1, 9, 15), utc(2026, 1, 12, 11))
    schedule = Schedule("s", "UTC", (Layer("p", rotation, (office,)),), (cover,))
    assert shifts(schedule, utc(2026, 1, 9), utc(2026, 1, 13)) == [
        Shift("p", "ana", utc(2026, 1, 9, 8), utc(2026, 1, 9, 15)),
        Shift("p", "zed", utc(2026, 1, 9, 15), utc(2026, 1, 12, 11), override=True),
        Shift("p", "ben", utc(2026, 1, 12, 11), utc(2026, 1, 12, 16)),
    ]
    assert oncall_at(schedule, utc(2026, 1, 10, 12))[0].person == "zed"


def test_overrides_must_name_a_layer_and_end_after_start() -> None:
    with pytest.raises(ValueError, match="unknown layers: tertiary"):
        seed_like(Override("tertiary", "dave", utc(2026, 1, 6), utc(2026, 1, 7)))
    with pytest.raises(ValueError, match="end after it starts"):
        Override("primary", "dave", utc(2026, 1, 7), utc(2026, 1, 6))


def test_with_overrides_adds_winning_overrides() -> None:
    base = seed_like(Override("primary", "dave", utc(2026, 1, 6), utc(2026, 1, 7)))
    changed = base.with_overrides(Override("primary", "erin", utc(2026, 1, 6), utc(2026, 1, 7)))
    assert people(base, utc(2026, 1, 6, 12))[0] == "dave"
    assert people(changed, utc(2026, 1, 6, 12))[0] == "erin"


def test_schedule_refuses_duplicate_layers_and_unknown_zones() -> None:
    rotation = Rotation(("ana",), WEEK_1, WEEKLY)
    with pytest.raises(ValueError, match="same name"):
        Schedule("s", "UTC", (Layer("p", rotation), Layer("p", rotation)))
    with pytest.raises(ValueError, match="unknown IANA time zone 'Mars/Olympus'"):
        Schedule("s", "Mars/Olympus", (Layer("p", rotation),))
