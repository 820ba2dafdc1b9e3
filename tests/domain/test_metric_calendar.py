"""Weeks, working hours and offsets in integers agree with what zoneinfo says of each instant."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain import metric_calendar as calendar

#: Whole-hour, half-hour and quarter-hour offsets, both hemispheres' DST, the date line.
ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
zones = st.sampled_from(ZONES).map(ZoneInfo)


@given(instants)
def test_epoch_second_rounds_down(instant: datetime) -> None:
    assert calendar.epoch_second(instant) == int(instant.timestamp() // 1)


@given(instants, zones)
def test_the_week_is_the_iso_week_of_the_local_date(instant: datetime, zone: ZoneInfo) -> None:
    local = instant.astimezone(zone)
    number = calendar.week_number(calendar.local_second(instant, zone))
    year, week, weekday = local.isocalendar()
    assert calendar.iso_week(number) == f"{year}-W{week:02d}"
    assert calendar.week_start(number) == local.date() - timedelta(days=weekday - 1)


@given(instants, zones)
def test_after_hours_is_outside_eight_to_six_on_weekdays(instant: datetime, zone: ZoneInfo) -> None:
    local = instant.astimezone(zone)
    working = local.weekday() < 5 and time(8) <= local.time() < time(18)
    assert calendar.after_hours(calendar.local_second(instant, zone)) is not working


@pytest.mark.parametrize(
    ("local", "after"),
    [
        ("2026-06-01T07:59:59", True),  # Monday before eight
        ("2026-06-01T08:00:00", False),
        ("2026-06-05T17:59:59", False),  # Friday
        ("2026-06-05T18:00:00", True),
        ("2026-06-06T12:00:00", True),  # Saturday
        ("2026-06-07T12:00:00", True),  # Sunday
    ],
)
def test_the_edges_of_the_working_day(local: str, after: bool) -> None:
    instant = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert calendar.after_hours(calendar.local_second(instant, ZoneInfo("Europe/Paris"))) is after


@settings(max_examples=60, deadline=None)
@given(
    zones,
    instants,
    st.integers(min_value=1, max_value=3 * 365 * 86400),
    st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=20),
)
def test_offsets_give_each_instant_its_offset(
    zone: ZoneInfo, start: datetime, span: int, where: list[float]
) -> None:
    end = start + timedelta(seconds=span)
    spans = calendar.offsets(zone, start, end)
    assert spans[-1].until is None
    for fraction in where:
        instant = start + timedelta(seconds=int(span * fraction))
        if instant >= end:
            continue
        offset = instant.astimezone(zone).utcoffset()
        assert offset is not None
        found = calendar.offset_at(spans, calendar.epoch_second(instant))
        assert found == offset.total_seconds()


def test_a_dst_year_has_two_changes_at_the_right_seconds() -> None:
    paris = ZoneInfo("Europe/Paris")
    spans = calendar.offsets(
        paris, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    changes = [
        (datetime.fromtimestamp(span.until, UTC), span.offset)
        for span in spans
        if span.until is not None
    ]
    assert changes == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 3600),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 7200),
    ]
    assert spans[-1].offset == 3600


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="instant: expected a timezone-aware time"):
        calendar.epoch_second(datetime(2026, 6, 1))


def test_after_hours_in_a_zone_at_the_time() -> None:
    # Monday 1 June 2026, 07:30 UTC: 09:30 in Paris (working hours), 03:30 in New York.
    instant = datetime(2026, 6, 1, 7, 30, tzinfo=UTC)
    assert not calendar.after_hours_in(instant, "Europe/Paris")
    assert calendar.after_hours_in(instant, "America/New_York")
    # UTC for no zone or an unknown one: 07:30 is before 08:00.
    assert calendar.after_hours_in(instant, None)
    assert calendar.after_hours_in(instant, "Mars/Olympus_Mons")
    # Saturday is after hours all day.
    assert calendar.after_hours_in(datetime(2026, 6, 6, 12, 0, tzinfo=UTC), "UTC")
