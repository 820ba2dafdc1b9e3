"""Fairness policies, counted per layer, on the seed schedule and on purpose-built ones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tocsin.domain.fairness import (
    FairnessPolicies,
    Stretch,
    Violation,
    check_fairness,
    stretches,
    violations_added_by,
)
from tocsin.domain.restriction import Restriction
from tocsin.domain.rotation import DAILY, WEEKLY, Rotation
from tocsin.domain.schedule import Layer, Override, Schedule, shifts

WEEK_1 = datetime(2026, 1, 5, 10, tzinfo=UTC)
SEED_POLICIES = FairnessPolicies(max_consecutive_days=7, min_gap_days=14)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def seed() -> Schedule:
    return Schedule(
        "seed",
        "UTC",
        (
            Layer("primary", Rotation(("engineer-a", "engineer-b", "engineer-c"), WEEK_1, WEEKLY)),
            Layer(
                "secondary", Rotation(("engineer-b", "engineer-c", "engineer-a"), WEEK_1, WEEKLY)
            ),
        ),
    )


def messages(found: list[Violation]) -> list[str]:
    return [violation.message for violation in found]


def test_seed_schedule_keeps_its_own_policies() -> None:
    assert check_fairness(seed(), SEED_POLICIES, WEEK_1) == []
    assert check_fairness(seed(), SEED_POLICIES, utc(2027, 3, 1), timedelta(weeks=52)) == []


def test_stretches_are_per_layer() -> None:
    # engineer-b is secondary in week 1 and primary in week 2: two stretches of
    # 7 days on two layers, not one of 14 (which would break max_consecutive_days: 7).
    found = stretches(shifts(seed(), WEEK_1, WEEK_1 + timedelta(weeks=4)))
    assert [each for each in found if each.person == "engineer-b"] == [
        Stretch("primary", "engineer-b", utc(2026, 1, 12, 10), utc(2026, 1, 19, 10)),
        Stretch("secondary", "engineer-b", utc(2026, 1, 5, 10), utc(2026, 1, 12, 10)),
        Stretch("secondary", "engineer-b", utc(2026, 1, 26, 10), utc(2026, 2, 2, 10)),
    ]


def test_stricter_limits_are_reported_with_people_and_dates() -> None:
    tight = FairnessPolicies(max_consecutive_days=6, min_gap_days=15)
    found = [
        violation
        for violation in check_fairness(seed(), tight, WEEK_1, timedelta(weeks=3))
        if violation.person == "engineer-a" and violation.layer == "primary"
    ]
    assert messages(found) == [
        "engineer-a would be on call 7 days in a row on primary (max_consecutive_days: 6) "
        "from 2026-01-05 10:00 to 2026-01-12 10:00 UTC",
        "engineer-a would have only 14 days off primary between on-call stretches "
        "(min_gap_days: 15) from 2026-01-12 10:00 to 2026-01-26 10:00 UTC",
    ]
    assert (found[0].policy, found[0].start, found[0].end) == (
        "max_consecutive_days",
        WEEK_1,
        utc(2026, 1, 12, 10),
    )


def test_override_that_shortens_someones_rest_is_a_new_violation() -> None:
    cover = Override("primary", "engineer-c", utc(2026, 1, 6, 12), utc(2026, 1, 6, 18))
    found = violations_added_by(seed(), SEED_POLICIES, cover, WEEK_1)
    assert messages(found) == [
        "engineer-c would have only 1.1 days off primary between on-call stretches "
        "(min_gap_days: 14) from 2026-01-05 10:00 to 2026-01-06 12:00 UTC",
        "engineer-c would have only 12.7 days off primary between on-call stretches "
        "(min_gap_days: 14) from 2026-01-06 18:00 to 2026-01-19 10:00 UTC",
    ]
    # engineer-a's week is interrupted for six hours: a short break, still one stretch.
    assert all(violation.person == "engineer-c" for violation in found)


def test_harmless_override_adds_nothing() -> None:
    cover = Override("primary", "dave", utc(2026, 1, 6, 12), utc(2026, 1, 6, 14))
    assert violations_added_by(seed(), SEED_POLICIES, cover, WEEK_1) == []


def test_existing_violations_are_not_reported_again() -> None:
    tight = FairnessPolicies(max_consecutive_days=6)
    longer = Override("primary", "engineer-a", utc(2026, 1, 12, 10), utc(2026, 1, 12, 12))
    assert check_fairness(seed(), tight, WEEK_1, timedelta(weeks=1))
    assert violations_added_by(seed(), tight, longer, WEEK_1, timedelta(weeks=1)) == []


def test_business_hours_week_is_one_stretch() -> None:
    office = Restriction(frozenset(range(5)), time(8), time(16))
    rotation = Rotation(("ana", "ben"), WEEK_1, WEEKLY)
    schedule = Schedule("office", "UTC", (Layer("day", rotation, (office,)),))
    found = stretches(shifts(schedule, WEEK_1, WEEK_1 + timedelta(weeks=1)))
    assert found == [Stretch("day", "ana", WEEK_1, WEEK_1 + timedelta(weeks=1))]
    assert check_fairness(schedule, FairnessPolicies(7, 7), WEEK_1) == []


def test_weekend_share() -> None:
    # Over 26 weeks engineer-a and engineer-b hold 9 weekends each on a layer, engineer-c 8.
    found = check_fairness(seed(), FairnessPolicies(max_weekend_share=0.34), WEEK_1)
    assert messages(found) == [
        "engineer-a would carry 35% of the weekend on-call hours on primary "
        "(max_weekend_share: 0.34) from 2026-01-05 10:00 to 2026-07-06 10:00 UTC",
        "engineer-b would carry 35% of the weekend on-call hours on primary "
        "(max_weekend_share: 0.34) from 2026-01-05 10:00 to 2026-07-06 10:00 UTC",
        "engineer-b would carry 35% of the weekend on-call hours on secondary "
        "(max_weekend_share: 0.34) from 2026-01-05 10:00 to 2026-07-06 10:00 UTC",
        "engineer-c would carry 35% of the weekend on-call hours on secondary "
        "(max_weekend_share: 0.34) from 2026-01-05 10:00 to 2026-07-06 10:00 UTC",
    ]
    assert check_fairness(seed(), FairnessPolicies(max_weekend_share=0.35), WEEK_1) == []


def test_shifts_per_week_counts_stretch_starts_in_a_local_week() -> None:
    monday = utc(2026, 1, 5)
    schedule = Schedule("d", "UTC", (Layer("p", Rotation(("ana", "ben"), monday, DAILY)),))
    limit = FairnessPolicies(max_shifts_per_week=3)
    found = check_fairness(schedule, limit, monday, timedelta(weeks=1))
    assert messages(found) == [
        "ana would start 4 on-call stretches on p in one week (max_shifts_per_week: 3) "
        "from 2026-01-05 00:00 to 2026-01-12 00:00 UTC"
    ]


def test_no_policies_no_violations() -> None:
    assert check_fairness(seed(), None, WEEK_1) == []
    assert check_fairness(seed(), FairnessPolicies(), WEEK_1) == []
