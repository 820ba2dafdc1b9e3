"""Incidents per ISO week, by severity and by service, in UTC or the zone asked for."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.support import MONDAY, add_incident, define, forget_history, resolved
from tocsin.app.service import Tocsin
from tocsin.domain.refusals import Invalid
from tocsin.metrics import conditions, filters, frequency

NOW = MONDAY + timedelta(days=400)
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]


def weekly(tocsin: Tocsin, asked: filters.Asked) -> frequency.Frequency:
    with tocsin.database.sessions() as session:
        return frequency.frequency(session, filters.for_incidents(session, asked), NOW)


def iso_week(instant: datetime, zone: ZoneInfo) -> str:
    year, week, _ = instant.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=365 * 86400 * 10**6),
            st.sampled_from(["SEV-1", "SEV-2", "SEV-3"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(ZONES),
)
def test_weeks_count_what_each_local_iso_week_holds(
    tocsin: Tocsin, history: list[tuple[int, str, bool]], zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    with tocsin.database.transaction() as session:
        forget_history(session)
        for micros, level, drill in history:
            detected = MONDAY + timedelta(microseconds=micros)
            add_incident(session, resolved(detected, drill=drill), severity=level)
    found = weekly(tocsin, filters.Asked(zone=zone_name))
    expected = Counter(
        (iso_week(MONDAY + timedelta(microseconds=micros), zone), level)
        for micros, level, drill in history
        if not drill
    )
    counted = Counter(
        {
            (week.label, level): count
            for week in found.weeks
            for level, count in week.by_severity.items()
        }
    )
    assert counted == expected
    if not expected:
        assert found.weeks == [], "without incidents there is no first week"
        return
    labels = [week.label for week in found.weeks]
    assert labels == sorted(set(labels)), "one entry per week, in order"
    assert labels[-1] == iso_week(NOW, zone), "the series runs until now"
    assert all(
        (later.start - earlier.start) == timedelta(days=7)
        for earlier, later in zip(found.weeks, found.weeks[1:], strict=False)
    ), "no week is missing"


def test_by_service_counts_each_affected_service_and_filters_keep_their_own(
    tocsin: Tocsin,
) -> None:
    with tocsin.database.transaction() as session:
        define(session, {"shop": ["checkout", "payments"], "search-team": ["search"]})
        both = resolved(MONDAY + timedelta(hours=1))
        add_incident(session, both, severity="SEV-1", services=["checkout", "search"])
        add_incident(session, resolved(MONDAY + timedelta(days=8)), services=["payments"])
        add_incident(session, resolved(MONDAY + timedelta(days=9)))
    found = weekly(tocsin, filters.Asked(start=MONDAY, end=MONDAY + timedelta(weeks=3)))
    assert [(week.label, week.total) for week in found.weeks] == [
        ("2026-W23", 1),
        ("2026-W24", 2),
        ("2026-W25", 0),
    ]
    assert found.weeks[0].by_service == {"checkout": 1, "search": 1}
    assert found.weeks[1].by_service == {"payments": 1}
    assert found.severities == ["SEV-1", "SEV-3"]
    two_weeks = filters.Asked(start=MONDAY, end=MONDAY + timedelta(weeks=2), team="shop")
    # A small team's incidents are read at once, a large one's week by week.
    for cap in (conditions.PROJECTED_AT_MOST, 0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(conditions, "PROJECTED_AT_MOST", cap)
            shop = weekly(tocsin, two_weeks)
        assert [week.total for week in shop.weeks] == [1, 1]
        assert shop.weeks[0].by_service == {"checkout": 1}, "only the team's services"
        assert shop.weeks[1].by_service == {"payments": 1}
    nothing = weekly(tocsin, filters.Asked(team="shop", service="search"))
    assert (nothing.weeks, nothing.total) == ([], 0)


def test_a_week_starts_on_monday_in_the_zone_asked_for(tocsin: Tocsin) -> None:
    # Sunday 23:30 UTC is already Monday in Paris.
    sunday_night = datetime(2026, 6, 7, 23, 30, tzinfo=UTC)
    with tocsin.database.transaction() as session:
        add_incident(session, resolved(sunday_night))
    end = datetime(2026, 6, 15, tzinfo=UTC)
    utc = weekly(tocsin, filters.Asked(start=MONDAY, end=end))
    # Monday 15 June 00:00 in Paris; the period starts on Sunday 31 May at 22:00 UTC.
    paris = weekly(
        tocsin,
        filters.Asked(
            start=MONDAY - timedelta(hours=2), end=end - timedelta(hours=2), zone="Europe/Paris"
        ),
    )
    assert [(week.label, week.total) for week in utc.weeks] == [("2026-W23", 1), ("2026-W24", 0)]
    assert [(week.label, week.total) for week in paris.weeks] == [
        ("2026-W23", 0),
        ("2026-W24", 1),
    ]


def test_no_incidents_no_weeks_and_an_unbounded_series_is_refused(tocsin: Tocsin) -> None:
    assert weekly(tocsin, filters.Asked()).weeks == []
    with pytest.raises(Invalid, match="from: a weekly series spans at most 1100 weeks"):
        weekly(tocsin, filters.Asked(start=datetime(1980, 1, 1, tzinfo=UTC)))
