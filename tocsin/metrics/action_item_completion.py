"""Action item completion: how many action items were done, and which are overdue, per team.

The action items **created** in the period (``created_at`` in [from, to)),
drills' left out (items of a drill incident; items of no incident count). Per
team (the item's own ``team``: the team answerable for it; items without one
under "no team"): created, done, won't do, open (open or in progress) and, of
those, overdue (due before today, the clock's UTC date), the **completion
rate** done / (created - won't do) (:func:`tocsin.domain.follow_up.completion_rate`,
which says why won't do is left out) and the median days from creation to
done, over the items done. Weekly, the same counts by the week each item was
created in: how much of each week's items is finished now.

Filters: ``team`` is the item's team; ``severity``, ``service`` and
``source`` are its incident's (an item of no incident matches none of them).
The database counts, from the (created_at, team, status, due_date,
incident_id, done_at) index of :mod:`tocsin.postmortems.tables`; only the done
items' durations come back, for the medians.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from tocsin.db.instants import micros_between
from tocsin.domain.follow_up import DONE, OPEN_STATUSES, WONT_DO, completion_rate
from tocsin.domain.lifecycle import micros_stats
from tocsin.metrics import conditions, filters, weeks
from tocsin.metrics.expressions import flags
from tocsin.metrics.filters import Asked, Filters
from tocsin.metrics.reports import (
    Column,
    Kind,
    Report,
    Shown,
    cells,
    counted,
    per_team,
    percent,
    rate,
    table,
    team_rows,
    team_view,
    week_chart,
    week_rows,
    week_view,
)
from tocsin.metrics.schemas import AskedOut
from tocsin.postmortems.tables import ActionItem

#: Declared with the reports that read it (migration 0017).
INDEX = "ix_action_items_created_metrics"
SERIES = ("done", "won't do", "open", "overdue")
DAY_MICROS = 86400 * 10**6


@dataclass(frozen=True)
class Counts:
    created: int = 0
    done: int = 0
    wont_do: int = 0
    #: Open or in progress, overdue ones included.
    open: int = 0
    overdue: int = 0
    #: From creation to done, of the items done, in microseconds.
    durations: tuple[int, ...] = ()

    @property
    def rate(self) -> float | None:
        return completion_rate(self.created, self.done, self.wont_do)

    @property
    def median_days(self) -> float | None:
        median = micros_stats(self.durations).median
        return None if median is None else round(median / timedelta(days=1), 2)


class CompletionOut(BaseModel):
    created: int = Field(description="Action items created in the period (drills' left out)")
    done: int
    wont_do: int = Field(description="Closed as won't do, with a reason")
    open: int = Field(description="Open or in progress, overdue ones included")
    overdue: int = Field(description="Open or in progress and due before today (UTC)")
    completion_rate: float | None = Field(
        description="done / (created - wont_do); null when that is 0"
    )
    median_days_to_done: float | None = Field(
        description="Median days from creation to done, over the items done"
    )

    @staticmethod
    def values(counts: Counts) -> dict[str, Any]:
        return {
            "created": counts.created,
            "done": counts.done,
            "wont_do": counts.wont_do,
            "open": counts.open,
            "overdue": counts.overdue,
            "completion_rate": rate(counts.rate),
            "median_days_to_done": counts.median_days,
        }


class TeamCompletionOut(CompletionOut):
    team: str | None = Field(description="The team answerable for the items; null: none")


class WeekCompletionOut(CompletionOut):
    week: str = Field(description="ISO 8601 week the items were created in")
    start: date = Field(description="Its Monday, in the zone asked for")


class ActionItemsOut(BaseModel):
    query: AskedOut
    zone: str
    today: date = Field(description="Items due before this date and not finished are overdue")
    total: CompletionOut
    teams: list[TeamCompletionOut] = Field(description="Most created first; no team last")
    weeks: list[WeekCompletionOut] = Field(description="By the week the items were created")


def _flags(today: date) -> list[ColumnElement[int]]:
    """1 or 0 for done, won't do, open and overdue, as of ``today``."""
    still_open = ActionItem.status.in_(OPEN_STATUSES)
    late = still_open & ActionItem.due_date.is_not(None) & (ActionItem.due_date < today)
    found = (ActionItem.status == DONE, ActionItem.status == WONT_DO, still_open, late)
    return flags(found, ("done", "wont_do", "open", "overdue"))


def completion(
    session: Session, checked: Filters, now: datetime
) -> tuple[Counts, list[tuple[str | None, Counts]], list[tuple[int, Counts]]]:
    """In total, per team (most items first, no team last) and per week of creation.

    Each item's team, week and flags are one statement's rows, grouped by an
    outer one (PostgreSQL groups by a column, not by the week's expression and
    its parameters); the done items' durations come from the same rows.
    """
    covered = weeks.covering(session, ActionItem.created_at, checked, now)
    if checked.nothing_matches or covered.number is None:
        return Counts(), [], [(number, Counts()) for number in covered.numbers]
    today = now.astimezone(UTC).date()
    spent = case(
        (ActionItem.status == DONE, micros_between(ActionItem.done_at, ActionItem.created_at))
    )
    rows = (
        select(
            ActionItem.team.label("team"),
            covered.number.label("week"),
            *_flags(today),
            spent.label("spent"),
        )
        .where(*conditions.action_items(checked))
        .subquery()
    )
    query = select(
        rows.c.team,
        rows.c.week,
        func.count(),
        *(func.sum(rows.c[name]) for name in ("done", "wont_do", "open", "overdue")),
    ).group_by(rows.c.team, rows.c.week)
    counted: dict[tuple[str | None, int], list[int]] = {}
    for team, number, *sums in session.execute(query):
        counted[(team, int(number))] = [int(n or 0) for n in sums]
    took: dict[tuple[str | None, int], list[int]] = defaultdict(list)
    done = select(rows.c.team, rows.c.week, rows.c.spent).where(rows.c.spent.is_not(None))
    for team, number, micros in session.execute(done):
        took[(team, int(number))].append(int(micros))

    def added(keys: list[tuple[str | None, int]]) -> Counts:
        created, done, wont_do, still_open, overdue = (
            sum(counted[key][index] for key in keys) for index in range(5)
        )
        spans = tuple(span for key in keys for span in took[key])
        return Counts(created, done, wont_do, still_open, overdue, spans)

    teams: dict[str | None, list[tuple[str | None, int]]] = defaultdict(list)
    in_week: dict[int, list[tuple[str | None, int]]] = defaultdict(list)
    for key in counted:
        teams[key[0]].append(key)
        in_week[key[1]].append(key)
    by_team = [(team, added(keys)) for team, keys in teams.items()]
    by_team.sort(key=lambda each: (each[0] is None, -each[1].created, each[0] or ""))
    series = [(number, added(in_week.get(number, []))) for number in covered.numbers]
    return added(list(counted)), by_team, series


def answer(session: Session, asked: Asked, now: datetime) -> ActionItemsOut:
    checked = filters.for_action_items(session, asked)
    total, teams, series = completion(session, checked, now)
    return ActionItemsOut(
        query=AskedOut.of(asked),
        zone=str(checked.zone),
        today=now.astimezone(UTC).date(),
        total=CompletionOut(**CompletionOut.values(total)),
        teams=per_team(TeamCompletionOut, teams, CompletionOut.values),
        weeks=weeks.answered(WeekCompletionOut, series, CompletionOut.values),
    )


COUNTS = (
    Column("created", "Created"),
    Column("done", "Done"),
    Column("wont_do", "Won't do"),
    Column("open", "Open"),
    Column("overdue", "Overdue"),
    Column("completion_rate", "Completion rate", Kind.RATE),
    Column("median_days_to_done", "Median days to done", Kind.DAYS),
)
VIEWS = (
    team_view("Action items per team", COUNTS),
    week_view("Action items per week created", COUNTS),
)


def show(found: ActionItemsOut) -> Shown:
    total = found.total
    sentence = (
        f"{counted(total.created, 'action item', 'action items')} created, drills' left out: "
        f"{total.done} done, "
        f"{total.wont_do} won't do, {total.open} open, of which {total.overdue} overdue. "
        f"Completion rate: {percent(total.completion_rate)}."
    )
    return Shown(
        sentence=sentence,
        tables=[
            table(VIEWS[0], [*team_rows(found.teams, COUNTS), ["all", *cells(total, COUNTS)]]),
            table(VIEWS[1], week_rows(found.weeks, COUNTS)),
        ],
        chart=week_chart(
            "Action items per week created, by what became of them",
            SERIES,
            found.weeks,
            lambda each: (each.done, each.wont_do, each.open - each.overdue, each.overdue),
        ),
    )


REPORT = Report(
    name="action-items",
    title="Action items",
    summary="Action items done, won't do, open and overdue per team; the completion rate",
    description="Over the action items created in the period (from, to), as of today (UTC). "
    "team: the item's own team; severity, service and source: its incident's (an item of "
    "no incident matches none). completion_rate = done / (created - wont_do).",
    model=ActionItemsOut,
    answer=answer,
    views=VIEWS,
    show=show,
)
