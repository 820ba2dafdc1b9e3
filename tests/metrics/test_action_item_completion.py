"""Action item completion from the database agrees with a direct count over the history.

Hypothesis writes action items (of drill incidents, of real ones, of none; with
a team or without; open, in progress, done or won't do; due before, on or after
today, or never) straight into the tables; the report's counts, completion
rates, overdue counts and median days per team and per week must equal a
computation in Python over the same rows, on both databases.
"""

from __future__ import annotations

import typing
from collections import Counter
from datetime import date, datetime, timedelta
from statistics import median

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.support import (
    MONDAY,
    add_incident,
    add_item,
    at,
    define,
    forget_history,
    resolved,
)
from tocsin.app.service import Tocsin
from tocsin.metrics import action_item_completion, filters
from tocsin.metrics.action_item_completion import ActionItemsOut

NOW = MONDAY + timedelta(days=30, hours=12)
TODAY = NOW.date()
STATUSES = ("open", "in_progress", "done", "wont_do")
micros = st.integers(min_value=0, max_value=30 * 86400 * 10**6)


@st.composite
def items(draw: st.DrawFn) -> dict[str, object]:
    created = MONDAY + timedelta(microseconds=draw(micros))
    status = draw(st.sampled_from(STATUSES))
    finished = status in ("done", "wont_do")
    return {
        "created": created,
        "status": status,
        "team": draw(st.sampled_from([None, "shop", "search"])),
        "due": draw(st.none() | st.integers(-5, 5).map(lambda days: TODAY + timedelta(days=days))),
        "done": created + timedelta(microseconds=draw(micros)) if finished else None,
        # None: no incident; else whether it is a drill, and its severity.
        "incident": draw(st.none() | st.tuples(st.booleans(), st.sampled_from(["SEV-1", "SEV-2"]))),
    }


def expected(rows: list[dict[str, object]]) -> dict[str, object]:
    found = Counter(str(row["status"]) for row in rows)
    still_open = found["open"] + found["in_progress"]
    late = sum(
        1
        for row in rows
        if row["status"] in ("open", "in_progress")
        and isinstance(row["due"], date)
        and row["due"] < TODAY
    )
    counted = len(rows) - found["wont_do"]
    days = [
        (row["done"] - row["created"]) / timedelta(days=1)  # type: ignore[operator]
        for row in rows
        if row["status"] == "done"
    ]
    return {
        "created": len(rows),
        "done": found["done"],
        "wont_do": found["wont_do"],
        "open": still_open,
        "overdue": late,
        "completion_rate": round(found["done"] / counted, 4) if counted else None,
        "median_days_to_done": round(median(days), 2) if days else None,
    }


def dumped(model: object, *names: str) -> dict[str, object]:
    assert hasattr(model, "model_dump")
    values: dict[str, object] = model.model_dump()
    return {key: value for key, value in values.items() if key not in names}


def report(tocsin: Tocsin, asked: filters.Asked) -> ActionItemsOut:
    with tocsin.database.sessions() as session:
        return action_item_completion.answer(session, asked, NOW)


def not_a_drill(row: dict[str, object]) -> bool:
    incident = row["incident"]
    return incident is None or not incident[0]  # type: ignore[index]


def iso_week(instant: object) -> str:
    assert isinstance(instant, datetime)
    year, week, _ = instant.isocalendar()
    return f"{year}-W{week:02d}"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(items(), max_size=25))
def test_the_figures_agree_with_a_direct_computation(
    tocsin: Tocsin, history: list[dict[str, object]]
) -> None:
    with tocsin.database.transaction() as session:
        forget_history(session)
        define(session, {"shop": ["checkout"], "search": ["search"]})
        for row in history:
            incident = None
            if row["incident"] is not None:
                drill, severity = typing.cast(tuple[bool, str], row["incident"])
                incident = add_incident(
                    session, resolved(at(0), drill=drill), severity=severity, services=["checkout"]
                )
            add_item(
                session,
                row["created"],  # type: ignore[arg-type]
                status=str(row["status"]),
                team=row["team"],  # type: ignore[arg-type]
                due=row["due"],  # type: ignore[arg-type]
                done=row["done"],  # type: ignore[arg-type]
                incident=incident,
            )
    real = [row for row in history if not_a_drill(row)]

    found = report(tocsin, filters.Asked())
    assert dumped(found.total) == expected(real)
    teams = [each.team for each in found.teams]
    assert None not in teams[:-1], "no team comes last"
    assert {each.team: dumped(each, "team") for each in found.teams} == {
        team: expected([row for row in real if row["team"] == team])
        for team in {row["team"] for row in real}
    }
    for week in found.weeks:
        in_week = [row for row in real if iso_week(row["created"]) == week.week]
        assert dumped(week, "week", "start") == expected(in_week)
    assert sum(week.created for week in found.weeks) == len(real)

    shop = report(tocsin, filters.Asked(team="shop"))
    assert dumped(shop.total) == expected([row for row in real if row["team"] == "shop"])

    severe = report(tocsin, filters.Asked(severity=["SEV-1"], service="checkout"))
    of_sev1 = [row for row in real if row["incident"] is not None and row["incident"][1] == "SEV-1"]  # type: ignore[index]
    assert dumped(severe.total) == expected(of_sev1)

    middle = MONDAY + timedelta(days=10)
    later = report(tocsin, filters.Asked(start=middle))
    assert dumped(later.total) == expected([row for row in real if row["created"] >= middle])  # type: ignore[operator]


def test_won_t_do_leaves_the_rate_and_drills_never_count(tocsin: Tocsin) -> None:
    with tocsin.database.transaction() as session:
        define(session, {"shop": ["checkout"]})
        drill = add_incident(session, resolved(at(0), drill=True), services=["checkout"])
        real = add_incident(session, resolved(at(0)), services=["checkout"])
        add_item(session, at(10), status="done", team="shop", done=at(10 + 2 * 1440), incident=real)
        add_item(session, at(20), status="wont_do", team="shop", done=at(30), incident=real)
        add_item(session, at(30), team="shop", due=TODAY - timedelta(days=1), incident=real)
        add_item(session, at(40), status="in_progress", team="shop", due=TODAY, incident=real)
        # Done quickly, but for a drill: never counted.
        add_item(session, at(50), status="done", team="shop", done=at(51), incident=drill)
        # No team and no incident: counted, under no team.
        add_item(session, at(60), status="done", done=at(60 + 4 * 1440))
    found = report(tocsin, filters.Asked())
    assert [
        (each.team, each.created, each.done, each.wont_do, each.open, each.overdue)
        for each in found.teams
    ] == [
        ("shop", 4, 1, 1, 2, 1),
        (None, 1, 1, 0, 0, 0),
    ]
    # done / (created - won't do) = 1 / 3
    assert found.teams[0].completion_rate == 0.3333
    assert found.teams[0].median_days_to_done == 2.0
    assert (found.total.created, found.total.completion_rate, found.total.median_days_to_done) == (
        5,
        0.5,
        3.0,
    )
