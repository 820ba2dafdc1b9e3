"""The alert rollups agree with counting the rows, and the hourly job keeps them current.

A generated history of alert groups and alerts (open and resolved, every
outcome, flapping, resolved by their sender, by Tocsin or by a person, some
of a drill) is counted into the rollups; then, for any period and service
filter, the counts read through the rollups (covered whole days from them,
the rest from the rows) equal the counts of the rows alone. The job tests
send real alerts on the fake clock and let the hourly chain run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tests.alerts.support import integration, quiet_client
from tests.alerts.test_lifecycle import send
from tests.conftest import Caller
from tests.metrics.support import MONDAY, add_incident, resolved
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.app.service import Tocsin
from tocsin.domain.lifecycle import Status
from tocsin.engine.tables import Job
from tocsin.incidents.tables import Incident
from tocsin.kernel.clock import FakeClock
from tocsin.metrics import alert_quality, frequency, rollups
from tocsin.metrics.filters import Filters
from tocsin.metrics.tables import AlertDay, AlertGroupDay, RollupState

SERVICES = ("checkout", "search", "payments")
#: The history's span: 70 days from MONDAY (1 June to 10 August: July is a whole month).
DAYS = 70
END = MONDAY + timedelta(days=DAYS)
#: A time after the history, well after a midnight: the days before it are over.
SETTLED = END + timedelta(days=2, hours=1)


def _history(session: Session) -> None:
    """Groups of one to three alerts over 12 days, every kind of ending."""
    chance = random.Random(7)
    drill = add_incident(
        session,
        resolved(
            MONDAY,
            ack=timedelta(minutes=5),
            resolve=timedelta(minutes=30),
            status=Status.CLOSED,
            drill=True,
        ),
    ).id
    for n in range(400):
        opened = MONDAY + timedelta(minutes=chance.randrange(DAYS * 24 * 60))
        service = chance.choice(SERVICES)
        is_open = chance.random() < 0.1
        outcome = chance.choice(("noise", "acknowledged", "incident"))
        group = AlertGroup(
            service=service,
            group_key=f"g{n}",
            status="open" if is_open else "resolved",
            title=f"Rule {n % 4}",
            rule=f"Rule{n % 4}",
            labels={},
            urgency="high",
            alert_count=1 + n % 3,
            paging=True,
            incident_id=drill if n % 17 == 0 else None,
            opened_at=opened,
            last_alert_at=opened + timedelta(hours=n % 30),
            resolved_at=None if is_open else opened + timedelta(hours=n % 30, minutes=5),
            outcome=None if is_open else outcome,
            updated_at=opened,
        )
        session.add(group)
        session.flush()
        for each in range(group.alert_count):
            triggered = opened + timedelta(hours=(n % 30) * each / 2)
            done = not is_open or each == 0
            session.add(
                Alert(
                    service=service,
                    dedup_key=f"a{n}-{each}",
                    status="resolved" if done else "triggered",
                    severity="critical",
                    summary="Disk full",
                    integration="pd",
                    source_type="pagerduty",
                    urgency="high",
                    flapping=chance.random() < 0.2,
                    group_id=group.id,
                    incident_id=group.incident_id,
                    triggered_at=triggered,
                    last_event_at=triggered,
                    resolved_at=triggered + timedelta(minutes=20) if done else None,
                    resolved_by=chance.choice(("pd", "tocsin", "ann")) if done else None,
                )
            )


def _counted(tocsin: Tocsin, write: Callable[[Session], None], family: rollups.Family) -> Tocsin:
    """``tocsin`` with a history written by ``write``, counted into ``family``'s rollups."""
    with tocsin.database.transaction() as session:
        write(session)
        rollups.refresh(session, family, SETTLED, chunk=None)
    return tocsin


@pytest.fixture
def history(tocsin: Tocsin) -> Tocsin:
    return _counted(tocsin, _history, alert_quality.FAMILY)


def _raw(session: Session, rollup: rollups.Counted, filters: Filters) -> dict[Any, list[int]]:
    found: dict[Any, list[int]] = {}
    keys = len(rollups.parts(rollup)[1])
    for row in session.execute(rollup.query(filters)):
        found[tuple(row[:keys])] = [int(value or 0) for value in row[keys:]]
    return found


def _instant(minutes: int | None) -> datetime | None:
    return None if minutes is None else MONDAY + timedelta(minutes=minutes)


def _period(
    start: int | None, end: int | None, *, whole_days: bool
) -> tuple[datetime | None, datetime | None]:
    """A period drawn as minutes from MONDAY (None: open), cut to midnights if asked,
    its ends swapped into order."""
    if whole_days:
        start = None if start is None else start - start % (24 * 60)
        end = None if end is None else end - end % (24 * 60)
    if start is not None and end is not None and end <= start:
        start, end = end - 1, start + 1
    return _instant(start), _instant(end)


SPAN_MINUTES = (DAYS + 3) * 24 * 60
bounds = st.one_of(st.none(), st.integers(-24 * 60, SPAN_MINUTES))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=bounds,
    end=bounds,
    services=st.one_of(st.none(), st.lists(st.sampled_from(SERVICES), unique=True, max_size=2)),
    whole_days=st.booleans(),
)
def test_a_period_read_through_the_rollups_counts_what_the_rows_do(
    history: Tocsin,
    start: int | None,
    end: int | None,
    services: list[str] | None,
    whole_days: bool,
) -> None:
    first, last = _period(start, end, whole_days=whole_days)
    filters = Filters(
        start=first,
        end=last,
        services=None if services is None else tuple(services),
    )
    with history.database.sessions() as session:
        for rollup in alert_quality.FAMILY.rollups:
            assert rollups.totals(session, rollup, filters) == _raw(session, rollup, filters)


def test_the_rollups_hold_every_resolved_group_and_every_alert_of_the_history(
    history: Tocsin,
) -> None:
    with history.database.sessions() as session:
        drill_groups = session.scalar(
            select(func.count()).where(AlertGroup.incident_id.is_not(None))
        )
        resolved_groups = session.scalar(
            select(func.count())
            .select_from(AlertGroup)
            .where(AlertGroup.status == "resolved", AlertGroup.incident_id.is_(None))
        )
        alerts = session.scalar(
            select(func.count()).select_from(Alert).where(Alert.incident_id.is_(None))
        )
        assert drill_groups
        days = AlertGroupDay.month.is_(False)
        assert session.scalar(select(func.sum(AlertGroupDay.groups)).where(days)) == resolved_groups
        assert (
            session.scalar(select(func.sum(AlertDay.alerts)).where(AlertDay.month.is_(False)))
            == alerts
        )
        july = date(2026, 7, 1)
        whole_month = [
            (row.service, row.rule, row.groups, row.noise)
            for row in session.scalars(
                select(AlertGroupDay)
                .where(AlertGroupDay.month.is_(True), AlertGroupDay.day == july)
                .order_by(AlertGroupDay.service, AlertGroupDay.rule)
            )
        ]
        summed = session.execute(
            select(
                AlertGroupDay.service,
                AlertGroupDay.rule,
                func.sum(AlertGroupDay.groups),
                func.sum(AlertGroupDay.noise),
            )
            .where(days, AlertGroupDay.day >= july, AlertGroupDay.day < date(2026, 8, 1))
            .group_by(AlertGroupDay.service, AlertGroupDay.rule)
            .order_by(AlertGroupDay.service, AlertGroupDay.rule)
        ).all()
        assert whole_month == [tuple(row) for row in summed]
        # June and July are whole months of the covered days (1 June to 12 August).
        months = select(AlertGroupDay.day).where(AlertGroupDay.month).distinct()
        assert session.scalars(months.order_by(AlertGroupDay.day)).all() == [
            date(2026, 6, 1),
            july,
        ]
        state = session.get(RollupState, alert_quality.ALERTS)
        assert state is not None
        assert (state.covered_from, state.covered_until) == (MONDAY.date(), SETTLED.date())
        plan = rollups.plan(session, alert_quality.ALERTS, Filters())
        assert plan.days == (MONDAY.date(), SETTLED.date())
        assert [(part.start, part.end) for part in plan.rows] == [
            (None, rollups.midnight(MONDAY.date())),
            (rollups.midnight(SETTLED.date()), None),
        ]


def test_severity_or_source_filters_count_the_rows(history: Tocsin) -> None:
    with history.database.sessions() as session:
        for asked in (Filters(severities=("critical",)), Filters(sources=("pagerduty",))):
            assert rollups.plan(session, alert_quality.ALERTS, asked) == rollups.Plan(
                None, (asked,)
            )


def test_history_is_counted_backwards_a_chunk_a_run_and_always_reads_right(
    tocsin: Tocsin,
) -> None:
    with tocsin.database.transaction() as session:
        _history(session)
    whole = Filters()
    runs: list[tuple[date, date]] = []
    for hour in range(6):
        with tocsin.database.transaction() as session:
            rollups.refresh(
                session, alert_quality.FAMILY, SETTLED + timedelta(hours=hour), chunk=30
            )
            span = rollups.covered(session, alert_quality.ALERTS)
            assert span is not None
            runs.append(span)
            for rollup in alert_quality.FAMILY.rollups:
                assert rollups.totals(session, rollup, whole) == _raw(session, rollup, whole)
    until = SETTLED.date()
    assert runs[:3] == [
        (until - timedelta(days=30), until),
        (until - timedelta(days=60), until),
        (MONDAY.date(), until),
    ]
    with tocsin.database.sessions() as session:
        state = session.get(RollupState, alert_quality.ALERTS)
        assert state is not None
        # Once the history is covered, each run counts the next 30 days again, in turn:
        # from 1 June, from 1 July, then from 31 July to the end.
        assert state.recounted_until == until


# --- the job ---------------------------------------------------------------------------


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with quiet_client(tocsin) as test_client:
        yield test_client


def _report(client: TestClient, caller: Caller) -> dict[str, Any]:
    answer = client.get("/api/v1/metrics/alerts", headers=caller.headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _rows(tocsin: Tocsin) -> list[tuple[date, str, str, int, int]]:
    with tocsin.database.sessions() as session:
        return [
            (row.day, row.service, row.rule, row.groups, row.noise)
            for row in session.scalars(
                select(AlertGroupDay)
                .where(AlertGroupDay.month.is_(False))
                .order_by(AlertGroupDay.day, AlertGroupDay.rule)
            )
        ]


def test_the_hourly_job_counts_each_day_once_over_and_again_when_a_group_resolves(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    clock: FakeClock,
) -> None:
    key = integration(client, admin, "pd", "pagerduty")
    first_day = clock.now().date()
    send(client, key, "trigger", "disk")
    send(client, key, "resolve", "disk")
    send(client, key, "trigger", "cpu")
    tocsin.start()
    clock.advance(days=1, hours=1)
    tocsin.engine.run_until_idle()
    with tocsin.database.sessions() as session:
        assert rollups.covered(session, alert_quality.ALERTS) == (first_day, clock.now().date())
    assert [(day, groups, noise) for day, _, _, groups, noise in _rows(tocsin)] == [
        (first_day, 1, 1)
    ]
    before = _report(client, admin)
    # cpu, opened the first day, resolves on the second: the next run counts that day again.
    send(client, key, "resolve", "cpu")
    clock.advance(hours=1)
    tocsin.engine.run_until_idle()
    # Each group has its own rule (its first alert's summary).
    assert [(day, groups, noise) for day, _, _, groups, noise in _rows(tocsin)] == [
        (first_day, 1, 1),
        (first_day, 1, 1),
    ]
    after = _report(client, admin)
    assert before["services"][0]["alerts"] == after["services"][0]["alerts"] == 2
    assert sum(rule["groups"] for rule in after["rules"]) == 2
    with tocsin.database.sessions() as session:
        # The chain goes on: the next hour's run is queued.
        pending = session.scalar(
            select(func.count()).where(Job.kind == rollups.ROLL_UP.name, Job.state == "pending")
        )
        assert pending == 1


def test_a_run_counts_again_the_days_of_the_groups_resolved_since_the_last(
    history: Tocsin,
) -> None:
    """No recount in turn here (a chunk of 0 days): only the change finds the days."""
    later = SETTLED + timedelta(days=3)
    with history.database.transaction() as session:
        group = session.scalars(
            select(AlertGroup).where(AlertGroup.status == "open", AlertGroup.incident_id.is_(None))
        ).first()
        assert group is not None
        group.status, group.outcome, group.resolved_at = "resolved", "noise", later
        for alert in session.scalars(select(Alert).where(Alert.group_id == group.id)):
            alert.status, alert.resolved_by, alert.resolved_at = "resolved", "pd", later
        day = group.opened_at.date()
    whole = Filters()
    with history.database.transaction() as session:
        stale = rollups.totals(session, alert_quality.GROUP_DAYS, whole)
        assert stale != _raw(session, alert_quality.GROUP_DAYS, whole)
        counted = rollups.refresh(session, alert_quality.FAMILY, later, chunk=0)
        # The group's days (its opening's to its last alert's), and the three that ended.
        assert counted >= 4
        assert session.scalar(
            select(func.count())
            .select_from(AlertGroupDay)
            .where(AlertGroupDay.day == day, AlertGroupDay.month.is_(False))
        )
        for rollup in alert_quality.FAMILY.rollups:
            assert rollups.totals(session, rollup, whole) == _raw(session, rollup, whole)


# --- incidents -------------------------------------------------------------------------


def _incidents(session: Session) -> None:
    """Incidents over the 70 days: every severity and source, one or two services, drills."""
    chance = random.Random(11)
    for n in range(300):
        detected = MONDAY + timedelta(minutes=chance.randrange(DAYS * 24 * 60))
        add_incident(
            session,
            resolved(detected, ack=timedelta(minutes=5), drill=n % 23 == 0),
            severity=chance.choice(("SEV-1", "SEV-2", "SEV-3", "SEV-4")),
            source=chance.choice(("manual", "alert", "user_report")),
            services=chance.sample(SERVICES, 1 + n % 2),
        )


@pytest.fixture
def incidents(tocsin: Tocsin) -> Tocsin:
    return _counted(tocsin, _incidents, frequency.FAMILY)


def _weeks(found: frequency.Frequency) -> list[tuple[str, int, dict[str, int], dict[str, int]]]:
    return [(week.label, week.total, week.by_severity, week.by_service) for week in found.weeks]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=bounds,
    end=bounds,
    zone=st.sampled_from(("UTC", "Europe/Paris", "Asia/Kolkata")),
    whole_days=st.booleans(),
)
# Whole covered days only: nothing is left to count from the incidents.
@example(start=7 * 24 * 60, end=21 * 24 * 60, zone="UTC", whole_days=True)
def test_weekly_frequency_through_the_rollups_counts_what_the_incidents_do(
    incidents: Tocsin, start: int | None, end: int | None, zone: str, whole_days: bool
) -> None:
    first, last = _period(start, end, whole_days=whole_days)
    filters = Filters(start=first, end=last, zone=ZoneInfo(zone))
    with incidents.database.sessions() as session:
        rolled = frequency.frequency(session, filters, SETTLED)
        session.execute(delete(RollupState).where(RollupState.name == frequency.INCIDENTS))
        counted = frequency.frequency(session, filters, SETTLED)
        session.rollback()
    assert _weeks(rolled) == _weeks(counted)
    assert (rolled.total, rolled.services, rolled.severities) == (
        counted.total,
        counted.services,
        counted.severities,
    )


def test_a_changed_incident_has_its_day_counted_again(incidents: Tocsin) -> None:
    later = SETTLED + timedelta(hours=2)
    with incidents.database.transaction() as session:
        incident = session.scalars(
            select(Incident).where(Incident.drill.is_(False)).order_by(Incident.id)
        ).first()
        assert incident is not None
        incident.severity = "SEV-1" if incident.severity != "SEV-1" else "SEV-2"
        incident.updated_at = later
        day = incident.detected_at.date()
    with incidents.database.transaction() as session:
        stale = frequency.frequency(session, Filters(), later)
        counted = rollups.refresh(session, frequency.FAMILY, later, chunk=0)
        assert counted >= 1
        fresh = frequency.frequency(session, Filters(), later)
        session.execute(delete(RollupState).where(RollupState.name == frequency.INCIDENTS))
        raw = frequency.frequency(session, Filters(), later)
        session.rollback()
    assert _weeks(fresh) == _weeks(raw)
    assert _weeks(stale) != _weeks(raw), f"the change on {day} shows only once counted"
