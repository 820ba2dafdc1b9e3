"""The load report's arithmetic: unions, working hours in the person's zone, pages."""

from __future__ import annotations

from datetime import time, timedelta

from tests.oncall.support import at
from tocsin.domain.restriction import Restriction
from tocsin.domain.schedule import Shift
from tocsin.paging.load_report import PersonLoad, WorkingTime, compute, merge, working_spans


def test_working_hours_follow_the_persons_zone_across_dst() -> None:
    # Berlin springs forward on Sunday 29 March 2026: 09:00-17:00 moves from 08-16 to 07-15 UTC.
    berlin = WorkingTime("Europe/Berlin", Restriction(frozenset({4, 0}), time(9), time(17)))
    assert working_spans(berlin, at("2026-03-27T00:00Z"), at("2026-03-31T00:00Z")) == [
        (at("2026-03-27T08:00Z"), at("2026-03-27T16:00Z")),
        (at("2026-03-30T07:00Z"), at("2026-03-30T15:00Z")),
    ]
    always = WorkingTime("UTC", Restriction(frozenset(range(7))))
    assert working_spans(always, at("2026-03-27T00:00Z"), at("2026-03-28T00:00Z")) == [
        (at("2026-03-27T00:00Z"), at("2026-03-28T00:00Z"))
    ]


def test_merge_joins_overlapping_and_touching_spans() -> None:
    a, b, c, d = (at(f"2026-01-05T0{hour}:00Z") for hour in (1, 2, 3, 4))
    assert merge([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert merge([(c, d), (a, b)]) == [(a, b), (c, d)]


def test_compute_counts_time_once_and_pages_by_working_hours() -> None:
    start, end = at("2026-01-05T00:00Z"), at("2026-01-06T00:00Z")
    found = [
        ("ops", Shift("primary", "ann", at("2026-01-05T06:00Z"), at("2026-01-05T12:00Z"))),
        ("db", Shift("primary", "ann", at("2026-01-05T10:00Z"), at("2026-01-05T20:00Z"))),
    ]
    pages = {
        "ann": [at("2026-01-05T08:30Z"), at("2026-01-05T09:30Z"), at("2026-01-06T09:30Z")],
        "ben": [at("2026-01-05T23:00Z")],
    }
    loads = compute(found, {}, {"cho": 2, "dan": 0}, pages, start, end)
    hours = timedelta(hours=1)
    assert loads == [
        PersonLoad(
            person="ann",
            time_zone="UTC",
            on_call=14 * hours,
            outside_working_hours=6 * hours,
            layers={("db", "primary"): 10 * hours, ("ops", "primary"): 6 * hours},
            pages=2,
            pages_outside_working_hours=1,
        ),
        PersonLoad("ben", "UTC", pages=1, pages_outside_working_hours=1),
        PersonLoad("cho", "UTC", incidents_handled=2),
    ]
