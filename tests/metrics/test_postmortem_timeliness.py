"""The postmortem on-time rate from the database agrees with a direct count over the history.

Hypothesis writes incidents (drills among them, with zero to two services of
two teams or of none) and their postmortems (due at microsecond times, published
before, at or after the due time, or not at all) straight into the tables; the
report's counts per state, per team, per severity, per week and required or not
must equal a count in Python of the same rows, on both databases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.support import (
    MONDAY,
    add_incident,
    add_postmortem,
    at,
    define,
    forget_history,
    resolved,
)
from tocsin.app.service import Tocsin
from tocsin.metrics import filters, postmortem_timeliness
from tocsin.metrics.postmortem_timeliness import PostmortemsOut

LEVELS = ("SEV-1", "SEV-2", "SEV-3")
TEAMS = {"shop": ("checkout", "payments"), "search": ("search",)}
OWNER = {service: team for team, services in TEAMS.items() for service in services}
SERVICES = (*OWNER, "legacy")
NOW = MONDAY + timedelta(days=30)
#: Up to 60 days, to the microsecond.
micros = st.integers(min_value=0, max_value=60 * 86400 * 10**6)


@dataclass(frozen=True)
class Row:
    due: datetime
    published: datetime | None
    required: bool
    severity: str
    drill: bool
    services: tuple[str, ...]

    @property
    def state(self) -> str:
        if self.published is not None:
            return "on_time" if self.published <= self.due else "late"
        return "overdue" if self.due < NOW else "not_yet_due"

    @property
    def teams(self) -> set[str | None]:
        owning: set[str | None] = {OWNER[name] for name in self.services if name in OWNER}
        return owning or {None}


@st.composite
def postmortems(draw: st.DrawFn) -> Row:
    due = MONDAY + timedelta(microseconds=draw(micros))
    published = draw(
        st.none()
        | st.just(due)
        | micros.map(lambda n: due + timedelta(microseconds=n - 30 * 86400 * 10**6))
    )
    return Row(
        due=due,
        published=published,
        required=draw(st.booleans()),
        severity=draw(st.sampled_from(LEVELS)),
        drill=draw(st.booleans()),
        services=tuple(sorted(draw(st.sets(st.sampled_from(SERVICES), max_size=2)))),
    )


def counts(rows: list[Row]) -> dict[str, Any]:
    found = Counter(row.state for row in rows)
    known = found["on_time"] + found["late"] + found["overdue"]
    return {
        "due": len(rows),
        "on_time": found["on_time"],
        "late": found["late"],
        "overdue": found["overdue"],
        "not_yet_due": found["not_yet_due"],
        "on_time_rate": round(found["on_time"] / known, 4) if known else None,
    }


def without(model: postmortem_timeliness.CountsOut, *names: str) -> dict[str, Any]:
    return {key: value for key, value in model.model_dump().items() if key not in names}


def report(tocsin: Tocsin, asked: filters.Asked) -> PostmortemsOut:
    with tocsin.database.sessions() as session:
        return postmortem_timeliness.answer(session, asked, NOW)


def iso_week(instant: datetime) -> str:
    year, week, _ = instant.isocalendar()
    return f"{year}-W{week:02d}"


def write(tocsin: Tocsin, history: list[Row]) -> None:
    with tocsin.database.transaction() as session:
        forget_history(session)
        define(session, {team: list(services) for team, services in TEAMS.items()})
        for row in history:
            incident = add_incident(
                session,
                resolved(row.due - timedelta(days=3), drill=row.drill),
                severity=row.severity,
                services=row.services,
            )
            add_postmortem(
                session, incident, row.due, published=row.published, required=row.required
            )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(postmortems(), max_size=20), st.sampled_from(LEVELS))
def test_the_counts_agree_with_a_direct_count(
    tocsin: Tocsin, history: list[Row], level: str
) -> None:
    write(tocsin, history)
    real = [row for row in history if not row.drill]

    found = report(tocsin, filters.Asked())
    assert without(found.total) == counts(real)
    assert without(found.required) == counts([row for row in real if row.required])
    assert without(found.optional) == counts([row for row in real if not row.required])
    assert {each.severity: without(each, "severity") for each in found.severities} == {
        name: counts([row for row in real if row.severity == name])
        for name in LEVELS
        if any(row.severity == name for row in real)
    }
    assert {each.team: without(each, "team") for each in found.teams} == {
        team: counts([row for row in real if team in row.teams])
        for team in {team for row in real for team in row.teams}
    }
    for week in found.weeks:
        in_week = [row for row in real if iso_week(row.due) == week.week]
        assert without(week, "week", "start") == counts(in_week)
    assert sum(each.due for each in found.weeks) == len(real)
    york = ZoneInfo("America/New_York")
    local = report(tocsin, filters.Asked(zone="America/New_York"))
    assert Counter({each.week: each.due for each in local.weeks if each.due}) == Counter(
        iso_week(row.due.astimezone(york)) for row in real
    )

    of_level = report(tocsin, filters.Asked(severity=[level], team="shop"))
    shop = [row for row in real if row.severity == level and "shop" in row.teams]
    assert without(of_level.total) == counts(shop)
    assert [each.team for each in of_level.teams] == (["shop"] if shop else [])

    later = MONDAY + timedelta(days=20)
    period = report(tocsin, filters.Asked(start=later, end=later + timedelta(days=14)))
    inside = [row for row in real if later <= row.due < later + timedelta(days=14)]
    assert without(period.total) == counts(inside)
    assert [each.week for each in period.weeks] == ["2026-W25", "2026-W26", "2026-W27"]


def test_a_known_history(tocsin: Tocsin) -> None:
    hour = timedelta(hours=1)
    due = at(48 * 60)
    write(
        tocsin,
        [
            Row(due, due - hour, True, "SEV-1", False, ("checkout",)),  # on time
            Row(due, due, True, "SEV-1", False, ("checkout", "search")),  # on time, at due
            Row(due, due + hour, True, "SEV-2", False, ("search",)),  # late
            Row(due, None, False, "SEV-3", False, ("legacy",)),  # overdue, no team
            Row(NOW + hour, None, True, "SEV-2", False, ()),  # not yet due, no team
            Row(due, None, True, "SEV-1", True, ("checkout",)),  # a drill: never counted
        ],
    )
    found = report(tocsin, filters.Asked())
    assert without(found.total) == {
        "due": 5,
        "on_time": 2,
        "late": 1,
        "overdue": 1,
        "not_yet_due": 1,
        "on_time_rate": 0.5,
    }
    assert [(each.team, each.due, each.on_time_rate) for each in found.teams] == [
        ("search", 2, 0.5),
        ("shop", 2, 1.0),
        (None, 2, 0.0),
    ]
    assert [(each.severity, each.due) for each in found.severities] == [
        ("SEV-1", 2),
        ("SEV-2", 2),
        ("SEV-3", 1),
    ]
    assert (found.required.due, found.optional.overdue) == (4, 1)
    # From the first due week to now's (the last postmortem is due later this week).
    assert [each.week for each in found.weeks] == [f"2026-W{n}" for n in range(23, 28)]
    assert [each.not_yet_due for each in found.weeks] == [0, 0, 0, 0, 1]
    shown = postmortem_timeliness.show(found)
    assert "On-time rate: 50%." in shown.sentence
    assert shown.tables[1].rows[-1][0] == "no team"


def test_without_teams_every_postmortem_is_of_no_team(tocsin: Tocsin) -> None:
    """No service has a team: the team breakdown is one row of no team (it was a 500)."""
    due = at(48 * 60)
    with tocsin.database.transaction() as session:
        forget_history(session)
        incident = add_incident(session, resolved(due - timedelta(days=3)), services=["web"])
        add_postmortem(session, incident, due, published=due, required=True)
    found = report(tocsin, filters.Asked())
    assert [(each.team, each.due, each.on_time) for each in found.teams] == [(None, 1, 1)]
