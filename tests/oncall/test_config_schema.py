"""The schedule schema: the seed file unchanged, the native form, and errors placed on fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML

from tocsin.domain.fairness import check_fairness
from tocsin.domain.schedule import oncall_at
from tocsin.oncall.config_schema import ScheduleConfig

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "config"

NATIVE = """
time_zone: Europe/Berlin
layers:
  - name: primary
    rotation: weekly
    start: 2026-01-05T10:00:00
    handoff_day: monday
    handoff_time: "10:00"
    participants: [alice, bob, carol]
    restrictions:
      - days: [mon, tue, wed, thu, fri]
        start: "08:00"
        end: "20:00"
  - name: night
    rotation: custom
    shift_length: 12h
    start: 2026-01-05T20:00:00
    participants: [dave, erin]
overrides:
  - {layer: primary, user: frank, start: "2026-01-06T12:00:00", end: "2026-01-06T14:00:00"}
policies: {max_consecutive_days: 7, min_gap_days: 14, max_weekend_share: 0.5}
escalation:
  timeout_minutes: 10
  chain:
    - {schedule: payments-primary, layer: night}
    - {user: grace}
    - {role: team_lead}
"""


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def load(text: str) -> Any:
    return YAML().load(text)


def seed_data() -> Any:
    return load((SEEDS / "on-call-schedule.yaml").read_text())["schedule"]


def errors(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        ScheduleConfig.model_validate(data)
    return [
        (tuple(error["loc"]), str(error.get("ctx", {}).get("error", error["msg"])))
        for error in caught.value.errors(include_url=False)
    ]


def with_changes(**changes: Any) -> dict[str, Any]:
    return {**seed_data(), **changes}


# --- the seed file ---------------------------------------------------------------


def test_seed_file_validates_unchanged() -> None:
    config = ScheduleConfig.model_validate(seed_data())
    assert config.layer_names() == ["primary", "secondary"]
    assert config.zone_name == "UTC"
    assert config.escalation is not None
    assert config.escalation.timeout_minutes == 5
    assert [step.role for step in config.escalation.chain] == [
        "secondary",
        "team_lead",
        "engineering_manager",
    ]
    assert config.policies is not None
    assert (config.policies.max_consecutive_days, config.policies.min_gap_days) == (7, 14)
    assert config.policies.after_hours_comp is True
    assert config.people() == {"engineer-a", "engineer-b", "engineer-c"}


@pytest.mark.parametrize(
    ("handoff", "before", "after"),
    [
        (utc(2026, 1, 5, 10), ["engineer-c", "engineer-a"], ["engineer-a", "engineer-b"]),
        (utc(2026, 1, 12, 10), ["engineer-a", "engineer-b"], ["engineer-b", "engineer-c"]),
        (utc(2026, 1, 19, 10), ["engineer-b", "engineer-c"], ["engineer-c", "engineer-a"]),
        (utc(2026, 1, 26, 10), ["engineer-c", "engineer-a"], ["engineer-a", "engineer-b"]),
        (utc(2026, 3, 30, 10), ["engineer-c", "engineer-a"], ["engineer-a", "engineer-b"]),
    ],
)
def test_seed_weeks_give_each_layers_person(
    handoff: datetime, before: list[str], after: list[str]
) -> None:
    schedule = ScheduleConfig.model_validate(seed_data()).to_schedule("on-call-schedule")

    def people(at: datetime) -> list[str | None]:
        return [entry.person for entry in oncall_at(schedule, at)]

    assert people(handoff - timedelta(minutes=1)) == before
    assert people(handoff) == after


def test_seed_policies_hold_for_the_seed_schedule() -> None:
    config = ScheduleConfig.model_validate(seed_data())
    schedule = config.to_schedule("on-call-schedule")
    assert check_fairness(schedule, config.policies, utc(2026, 1, 5, 10)) == []
    assert config.policies is not None
    assert check_fairness(schedule, config.policies.to_policies(), utc(2026, 6, 1)) == []


@pytest.mark.parametrize(
    ("start", "week_1"),
    [
        ("2026-02-02", utc(2026, 2, 2, 10)),
        ("2026-02-04", utc(2026, 2, 9, 10)),  # a Wednesday: the next Monday handoff
        ("2026-02-02T10:00:00", utc(2026, 2, 2, 10)),
        ("2026-02-02T10:00:01", utc(2026, 2, 9, 10)),
        ("2026-02-02T11:00:00+01:00", utc(2026, 2, 2, 10)),
        (datetime(2026, 2, 2, 10, tzinfo=UTC), utc(2026, 2, 2, 10)),
    ],
)
def test_explicit_start_sets_where_week_1_begins(start: str | datetime, week_1: datetime) -> None:
    schedule = ScheduleConfig.model_validate(with_changes(start=start)).to_schedule("s")
    assert [entry.person for entry in oncall_at(schedule, week_1)] == [
        "engineer-a",
        "engineer-b",
    ]
    assert oncall_at(schedule, week_1)[0].start == week_1


def test_week_form_in_a_dst_zone_hands_off_at_local_time() -> None:
    data = with_changes(time_zone="Europe/Berlin", handoff_time="10:00")
    schedule = ScheduleConfig.model_validate(data).to_schedule("s")
    # 2026-01-05 10:00 CET is 09:00 UTC; 2026-03-30 10:00 CEST is 08:00 UTC.
    assert oncall_at(schedule, utc(2026, 1, 5, 9))[0].person == "engineer-a"
    assert oncall_at(schedule, utc(2026, 3, 30, 7, 59))[0].person == "engineer-c"
    assert oncall_at(schedule, utc(2026, 3, 30, 8))[0].person == "engineer-a"


def test_a_week_may_leave_a_layer_out() -> None:
    data = with_changes(week_2={"primary": "engineer-b"})
    schedule = ScheduleConfig.model_validate(data).to_schedule("s")
    assert [entry.person for entry in oncall_at(schedule, utc(2026, 1, 13))] == [
        "engineer-b",
        None,
    ]


# --- the native form ----------------------------------------------------------------


def test_native_form_builds_layers_restrictions_and_overrides() -> None:
    config = ScheduleConfig.model_validate(load(NATIVE))
    schedule = config.to_schedule("payments-primary")
    assert schedule.name == "payments-primary"
    assert schedule.time_zone == "Europe/Berlin"
    # Tuesday 2026-01-06 09:00 Berlin (08:00 UTC): alice's week, inside the window.
    # The 12-hour night layer turns at 20:00 and 08:00 Berlin: erin since 08:00.
    assert [entry.person for entry in oncall_at(schedule, utc(2026, 1, 6, 8))] == [
        "alice",
        "erin",
    ]
    # 12:00-14:00 Berlin is frank's override, given in local time.
    assert oncall_at(schedule, utc(2026, 1, 6, 11))[0].person == "frank"
    assert oncall_at(schedule, utc(2026, 1, 6, 11))[0].start == utc(2026, 1, 6, 11)
    # 21:00 Berlin is outside 08:00-20:00: nobody on primary; dave took the night at 20:00.
    assert [entry.person for entry in oncall_at(schedule, utc(2026, 1, 6, 20))] == [None, "dave"]
    # Saturday is outside the weekday restriction.
    assert oncall_at(schedule, utc(2026, 1, 10, 12))[0].person is None
    assert oncall_at(schedule, utc(2026, 1, 13, 8))[0].person == "bob"


def test_people_covers_participants_overrides_and_escalation_users() -> None:
    config = ScheduleConfig.model_validate(load(NATIVE))
    assert config.people() == {"alice", "bob", "carol", "dave", "erin", "frank", "grace"}


def test_policies_and_escalation_are_typed() -> None:
    config = ScheduleConfig.model_validate(load(NATIVE))
    assert config.policies is not None
    assert config.policies.to_policies().max_weekend_share == 0.5
    assert config.escalation is not None
    first = config.escalation.chain[0]
    assert (first.schedule, first.layer) == ("payments-primary", "night")


@pytest.mark.parametrize("source", ["seed", "native"])
def test_stored_spec_validates_back_to_the_same_schedule(source: str) -> None:
    data = seed_data() if source == "seed" else load(NATIVE)
    config = ScheduleConfig.model_validate(data)
    stored = config.model_dump(mode="json")
    again = ScheduleConfig.model_validate(stored)
    assert again == config
    assert again.to_schedule("s") == config.to_schedule("s")


# --- handoff fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "hour", "minute"),
    [
        ("10:00", 10, 0),
        ("10:00 AM UTC", 10, 0),
        ("10:00 UTC", 10, 0),
        ("22:30", 22, 30),
        ("10:00 PM", 22, 0),
        ("10:00pm", 22, 0),
        ("12:00 AM", 0, 0),
        ("12:15 PM", 12, 15),
        ("9:05", 9, 5),
    ],
)
def test_handoff_time_formats(written: str, hour: int, minute: int) -> None:
    schedule = ScheduleConfig.model_validate(with_changes(handoff_time=written)).to_schedule("s")
    anchor = schedule.layers[0].rotation.start
    assert (anchor.weekday(), anchor.hour, anchor.minute) == (0, hour, minute)


@pytest.mark.parametrize("written", ["25:00", "10:60", "13:00 PM", "noon", "10", 600, "24:00"])
def test_bad_handoff_times_name_the_field(written: Any) -> None:
    [(loc, message)] = errors(with_changes(handoff_time=written))
    assert loc == ("handoff_time",)
    assert message.startswith("must be a time of day like")


def test_handoff_time_zone_may_set_the_schedule_zone() -> None:
    config = ScheduleConfig.model_validate(with_changes(handoff_time="10:00 Europe/Berlin"))
    assert config.zone_name == "Europe/Berlin"
    assert config.to_schedule("s").layers[0].rotation.start == utc(2026, 1, 5, 9)


def test_handoff_time_zone_must_match_time_zone() -> None:
    assert errors(with_changes(time_zone="Europe/Berlin")) == [
        (("handoff_time",), "names time zone UTC but the schedule's time_zone is Europe/Berlin")
    ]


@pytest.mark.parametrize(
    ("written", "weekday"), [("Monday", 0), ("mon", 0), ("TUE", 1), ("sunday", 6)]
)
def test_handoff_day_is_case_insensitive(written: str, weekday: int) -> None:
    schedule = ScheduleConfig.model_validate(with_changes(handoff_day=written)).to_schedule("s")
    anchor = schedule.layers[0].rotation.start
    assert anchor.weekday() == weekday
    assert anchor <= utc(2026, 1, 5, 10)  # the last handoff on or before 2026-01-05
    assert anchor > utc(2025, 12, 29, 10)


def test_custom_shift_lengths() -> None:
    data = load(NATIVE)
    data["layers"][1]["shift_length"] = "2w"
    data["layers"][1]["start"] = "2026-01-05"
    schedule = ScheduleConfig.model_validate(data).to_schedule("s")
    assert oncall_at(schedule, utc(2026, 1, 18, 22))[1].person == "dave"
    assert oncall_at(schedule, utc(2026, 1, 18, 23))[1].person == "erin"  # midnight Berlin


# --- errors on fields -----------------------------------------------------------


def test_escalation_timeout_must_be_a_positive_integer() -> None:
    data = with_changes(escalation={"timeout_minutes": "five", "chain": [{"role": "secondary"}]})
    assert errors(data) == [
        (("escalation", "timeout_minutes"), "must be a positive integer, got 'five'")
    ]


def test_errors_inside_weeks_point_at_the_week_key() -> None:
    found = errors(with_changes(week_2={"primary": "engineer b!", "secondary": "engineer-c"}))
    assert [loc for loc, _ in found] == [("week_2", "primary")]
    assert errors(with_changes(week_3={})) == [
        (("week_3",), "names nobody; give each layer's person, like primary: alice")
    ]


def test_week_numbers_must_not_skip() -> None:
    assert errors(with_changes(week_5={"primary": "engineer-a"})) == [
        (("week_5",), "weeks must be numbered from week_1 without gaps; week_4 is missing")
    ]


def test_unknown_fields_are_rejected() -> None:
    [(loc, _)] = errors(with_changes(rotaton="weekly"))
    assert loc == ("rotaton",)


def test_error_paths_nest_under_the_schedule_name() -> None:
    adapter = TypeAdapter(dict[str, ScheduleConfig])
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python({"payments": with_changes(week_2={"primary": 7})})
    assert [error["loc"] for error in caught.value.errors()] == [("payments", "week_2", "primary")]


def test_rotation_fields_must_agree() -> None:
    data = load(NATIVE)
    data["layers"][0]["rotation"] = "daily"
    data["layers"][1]["shift_length"] = None
    data["layers"].append(dict(data["layers"][0]))
    data["overrides"][0]["layer"] = "tertiary"
    data["overrides"][0]["end"] = "2026-01-06T11:00:00"
    data["rotation"] = "weekly"
    assert errors(data) == [
        (("rotation",), "rotation belongs on each layer when layers are given"),
        (
            ("layers", 0, "handoff_day"),
            "only rotations of whole weeks have a handoff day; this one turns every 1d",
        ),
        (("layers", 1, "rotation"), "custom rotations need shift_length like 12h, 3d or 2w"),
        (("layers", 2, "name"), "layer 'primary' is defined twice"),
        (
            ("layers", 2, "handoff_day"),
            "only rotations of whole weeks have a handoff day; this one turns every 1d",
        ),
        (
            ("overrides", 0, "layer"),
            "no layer named 'tertiary'; layers are primary, night",
        ),
        (("overrides", 0, "end"), "must be after start"),
    ]


def test_shift_length_only_for_custom() -> None:
    assert errors(with_changes(shift_length="12h")) == [
        (("shift_length",), "only custom rotations take shift_length; this one is weekly")
    ]
    assert errors(with_changes(rotation="custom", shift_length="12 hours")) == [
        (
            ("handoff_day",),
            "only rotations of whole weeks have a handoff day; this one turns every 12h",
        )
    ]
    config = ScheduleConfig.model_validate(with_changes(rotation="custom", shift_length="2 weeks"))
    assert config.to_schedule("s").layers[0].rotation.length.days == 14


def test_a_schedule_needs_people() -> None:
    assert errors({"time_zone": "UTC"}) == [
        ((), "needs layers, or week_1, week_2, ... naming each layer's person")
    ]
    data = load(NATIVE)
    data["layers"][0]["participants"] = []
    [(loc, _)] = errors(data)
    assert loc == ("layers", 0, "participants")


@pytest.mark.parametrize(
    ("policies", "loc"),
    [
        ({"max_weekend_share": 1.5}, ("policies", "max_weekend_share")),
        ({"max_consecutive_days": 0}, ("policies", "max_consecutive_days")),
        ({"max_shifts_per_week": "many"}, ("policies", "max_shifts_per_week")),
    ],
)
def test_bad_policies_name_the_field(policies: dict[str, Any], loc: tuple[str, ...]) -> None:
    [(found, _)] = errors(with_changes(policies=policies))
    assert found == loc


def test_escalation_steps_name_exactly_one_target() -> None:
    data = with_changes(
        escalation={"timeout_minutes": 5, "chain": [{"role": "secondary", "user": "alice"}]}
    )
    assert errors(data) == [
        (("escalation", "chain", 0), "needs exactly one of role, user, or schedule (with layer)")
    ]


def test_unknown_time_zone() -> None:
    [(loc, message)] = errors(with_changes(time_zone="Europe/Berln", handoff_time="10:00"))
    assert loc == ("time_zone",)
    assert "Europe/Berlin" in message
