"""MTTD, MTTA and MTTR from the database agree with the domain's computation over the same history.

Hypothesis writes histories of incidents with microsecond times (drills,
open, reopened and unacknowledged ones among them) straight into the
tables; the database's mean, median and 90th percentile of each metric must
equal :func:`tocsin.domain.lifecycle.response_metrics` over the same
incidents, exactly, with and without filters, on both databases.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.support import MONDAY, add_incident, at, define, forget_history, resolved
from tocsin.app.service import Tocsin
from tocsin.domain.lifecycle import (
    DurationStats,
    IncidentTimes,
    Milestones,
    ResponseMetrics,
    Status,
    response_metrics,
)
from tocsin.metrics import conditions, filters, response

LEVELS = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
SOURCES = ("manual", "alert", "user_report")
SERVICES = ("checkout", "payments", "search")
#: Up to 40 days, to the microsecond.
spans = st.integers(min_value=0, max_value=40 * 86400 * 10**6).map(
    lambda micros: timedelta(microseconds=micros)
)


@st.composite
def incidents(draw: st.DrawFn) -> tuple[IncidentTimes, str, str, tuple[str, ...]]:
    detected = MONDAY + draw(spans) * 9
    impact = draw(st.none() | spans)
    acknowledged = draw(st.none() | spans)
    resolve = draw(st.none() | spans)
    status = draw(st.sampled_from(list(Status)))
    times = IncidentTimes(
        status=status,
        milestones=Milestones(
            detected_at=detected,
            impact_started_at=None if impact is None else detected - impact,
            acknowledged_at=None if acknowledged is None else detected + acknowledged,
            resolved_at=None if resolve is None else detected + resolve,
        ),
        drill=draw(st.booleans()),
    )
    services = tuple(sorted(draw(st.sets(st.sampled_from(SERVICES), max_size=2))))
    return times, draw(st.sampled_from(LEVELS)), draw(st.sampled_from(SOURCES)), services


def metrics(tocsin: Tocsin, asked: filters.Asked) -> response.Response:
    with tocsin.database.sessions() as session:
        return response.response(session, filters.for_incidents(session, asked))


def domain(history: list[IncidentTimes]) -> ResponseMetrics:
    return response_metrics(history)


def assert_agrees(found: response.Response, expected: ResponseMetrics, incidents: int) -> None:
    assert (found.mttd, found.mtta, found.mttr) == (expected.mttd, expected.mtta, expected.mttr)
    assert found.incidents == incidents


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(incidents(), max_size=25), st.sampled_from(LEVELS), st.sampled_from(SERVICES))
def test_the_database_agrees_with_the_domain(
    tocsin: Tocsin,
    history: list[tuple[IncidentTimes, str, str, tuple[str, ...]]],
    level: str,
    service: str,
) -> None:
    with tocsin.database.transaction() as session:
        forget_history(session)
        define(session, {"shop": SERVICES})
        for times, severity, source, services in history:
            add_incident(session, times, severity=severity, source=source, services=services)
    real = [times for times, *_ in history if not times.drill]

    assert_agrees(metrics(tocsin, filters.Asked()), domain([h[0] for h in history]), len(real))

    of_level = [times for times, severity, *_ in history if severity == level]
    assert_agrees(
        metrics(tocsin, filters.Asked(severity=[level])),
        domain(of_level),
        sum(not times.drill for times in of_level),
    )
    affecting = [times for times, _, _, services in history if service in services]
    # A small service's incidents are read and sorted here, a large one's in the indexes.
    for cap in (conditions.PROJECTED_AT_MOST, 0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(conditions, "PROJECTED_AT_MOST", cap)
            assert_agrees(
                metrics(tocsin, filters.Asked(service=service)),
                domain(affecting),
                sum(not times.drill for times in affecting),
            )
    middle = MONDAY + timedelta(days=180)
    later = [times for times, *_ in history if times.milestones.detected_at >= middle]
    assert_agrees(
        metrics(tocsin, filters.Asked(start=middle, source="alert")),
        domain([t for t, _, source, _ in history if source == "alert" and t in later]),
        sum(not t.drill for t, _, source, _ in history if source == "alert" and t in later),
    )


def test_drills_never_count_and_mttd_needs_an_impact_start(tocsin: Tocsin) -> None:
    minute = timedelta(minutes=1)
    with tocsin.database.transaction() as session:
        add_incident(session, resolved(at(0), ack=2 * minute, resolve=30 * minute))
        add_incident(session, resolved(at(60), ack=4 * minute, resolve=60 * minute))
        # A drill that would move every figure, with an impact start.
        add_incident(
            session,
            resolved(at(90), impact=minute, ack=90 * minute, resolve=900 * minute, drill=True),
        )
    found = metrics(tocsin, filters.Asked())
    assert found.incidents == 2
    assert found.mttd == DurationStats(count=0, mean=None, median=None, p90=None)
    assert found.mtta == DurationStats(2, 3 * minute, 3 * minute, 4 * minute)
    assert found.mttr == DurationStats(2, 45 * minute, 45 * minute, 60 * minute)


def test_open_and_reopened_incidents_have_no_mttr(tocsin: Tocsin) -> None:
    minute = timedelta(minutes=1)
    with tocsin.database.transaction() as session:
        add_incident(session, resolved(at(0), resolve=10 * minute, status=Status.CLOSED))
        # Reopened: its earlier resolution is still recorded, but it is open again.
        add_incident(session, resolved(at(5), resolve=20 * minute, status=Status.RESPONDING))
        add_incident(session, resolved(at(9), status=Status.TRIAGE))
    found = metrics(tocsin, filters.Asked())
    assert (found.incidents, found.mttr.count, found.mttr.p90) == (3, 1, 10 * minute)
    assert found.mtta.count == 0
