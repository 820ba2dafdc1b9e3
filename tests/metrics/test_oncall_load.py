"""Pages per person and after-hours pages, in each person's own time zone."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.support import (
    MONDAY,
    add_incident,
    add_page,
    add_user,
    define,
    forget_history,
    resolved,
)
from tocsin.app.service import Tocsin
from tocsin.metrics import filters, oncall_load

PEOPLE = {"ana": "Europe/Paris", "ben": "America/New_York", "chi": "Asia/Kolkata"}


def load(tocsin: Tocsin, asked: filters.Asked) -> list[oncall_load.PersonPages]:
    with tocsin.database.sessions() as session:
        return oncall_load.oncall_load(session, filters.for_pages(session, asked))


def after_hours(instant: datetime, zone: str) -> bool:
    local = instant.astimezone(ZoneInfo(zone))
    return not (local.weekday() < 5 and time(8) <= local.time() < time(18))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*PEOPLE, "dee"]),
            st.integers(min_value=0, max_value=400 * 86400 * 10**6),
        ),
        max_size=40,
    )
)
def test_after_hours_is_outside_eight_to_six_on_weekdays_where_the_person_lives(
    tocsin: Tocsin, pages: list[tuple[str, int]]
) -> None:
    with tocsin.database.transaction() as session:
        forget_history(session)
        for name, zone in PEOPLE.items():
            add_user(session, name, zone)
        for person, micros in pages:
            add_page(session, person, MONDAY + timedelta(microseconds=micros))
    zones = {**PEOPLE, "dee": "UTC"}  # dee is no user: UTC
    expected_pages = Counter(person for person, _ in pages)
    expected_late = Counter(
        person
        for person, micros in pages
        if after_hours(MONDAY + timedelta(microseconds=micros), zones[person])
    )
    found = load(tocsin, filters.Asked())
    assert {each.person: each.pages for each in found} == dict(expected_pages)
    assert {each.person: each.after_hours for each in found} == {
        person: expected_late[person] for person in expected_pages
    }
    assert [each.pages for each in found] == sorted((each.pages for each in found), reverse=True)
    assert all(each.time_zone == zones[each.person] for each in found)


def test_filters_and_drills(tocsin: Tocsin) -> None:
    with tocsin.database.transaction() as session:
        define(session, {"shop": ["checkout"], "search-team": ["search"]})
        add_user(session, "ana", "Europe/Paris")
        sev1 = add_incident(session, resolved(MONDAY), severity="SEV-1", source="alert")
        drill = add_incident(session, resolved(MONDAY, drill=True), severity="SEV-1")
        # Monday 12:00 in Paris; Saturday; a drill's page; a search page a week later.
        add_page(session, "ana", MONDAY + timedelta(hours=10), incident=sev1)
        add_page(session, "ana", datetime(2026, 6, 6, 12, tzinfo=UTC))
        add_page(session, "ana", MONDAY + timedelta(hours=11), incident=drill)
        add_page(session, "ana", MONDAY + timedelta(days=7, hours=10), service="search")

    def counts(asked: filters.Asked) -> tuple[int, int]:
        found = load(tocsin, asked)
        assert [each.person for each in found] in ([], ["ana"])
        return (found[0].pages, found[0].after_hours) if found else (0, 0)

    assert counts(filters.Asked()) == (3, 1)
    assert counts(filters.Asked(team="shop")) == (2, 1)
    assert counts(filters.Asked(service="search")) == (1, 0)
    assert counts(filters.Asked(severity=["SEV-1"])) == (1, 0)
    assert counts(filters.Asked(source="alert")) == (1, 0)
    assert counts(filters.Asked(source="manual")) == (0, 0)
    assert counts(filters.Asked(end=MONDAY + timedelta(days=6))) == (2, 1)
    assert counts(filters.Asked(start=MONDAY + timedelta(days=6))) == (1, 0)
