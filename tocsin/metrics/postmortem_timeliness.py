"""Postmortem timeliness: how many postmortems were published by their due time.

The postmortems **due** in the period (``due_at`` in [from, to)) whose
incident matches the filters (severity, service, team, source: the
incident's, as for response times), drills left out, each in one state
(:func:`tocsin.domain.follow_up.timeliness`) as of now: published on time,
published late, overdue (unpublished, past due) or not yet due. The
**on-time rate** is on time / (on time + late + overdue)
(:func:`tocsin.domain.follow_up.on_time_rate`).

Broken down by required or optional, by the incident's severity, by team (the
teams owning the incident's affected services now: a postmortem counts once
for each such team, and under "no team" when no affected service has one), and
by the week it was due, for the chart. The database counts, over the (due_at,
published_at, required, incident_id) index of :mod:`tocsin.postmortems.tables`:
required, severity and week in one statement grouped by all three (summed
here), the teams in two (those owning an affected service; those with none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, case, exists, false, func, literal_column, select
from sqlalchemy.orm import Session

import tocsin.db.hints  # noqa: F401 (SQLite's INDEXED BY)
from tocsin.domain.follow_up import on_time_rate
from tocsin.incidents import configured
from tocsin.incidents.tables import Incident, IncidentService
from tocsin.metrics import conditions, filters, weeks
from tocsin.metrics.expressions import flags
from tocsin.metrics.filters import Asked, Filters
from tocsin.metrics.reports import (
    Column,
    Kind,
    Report,
    Shown,
    View,
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
from tocsin.postmortems.tables import Postmortem

#: Declared with the reports that read it (migration 0017).
INDEX = "ix_postmortems_due_metrics"
STATES = ("on_time", "late", "overdue", "not_yet_due")
SERIES = ("on time", "late", "overdue", "not yet due")


@dataclass(frozen=True)
class Counts:
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    not_yet_due: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue + self.not_yet_due

    @property
    def rate(self) -> float | None:
        return on_time_rate(self.on_time, self.late, self.overdue)


class CountsOut(BaseModel):
    due: int = Field(description="Postmortems due in the period (drills left out)")
    on_time: int = Field(description="Published at or before the due time")
    late: int = Field(description="Published after the due time")
    overdue: int = Field(description="Not published, past the due time (as of now)")
    not_yet_due: int = Field(description="Not published, not yet due")
    on_time_rate: float | None = Field(
        description="on_time / (on_time + late + overdue); null when that is 0"
    )

    @staticmethod
    def values(counts: Counts) -> dict[str, Any]:
        return {
            "due": counts.due,
            "on_time": counts.on_time,
            "late": counts.late,
            "overdue": counts.overdue,
            "not_yet_due": counts.not_yet_due,
            "on_time_rate": rate(counts.rate),
        }


class TeamCountsOut(CountsOut):
    team: str | None = Field(description="A team owning an affected service; null: none does")


class SeverityCountsOut(CountsOut):
    severity: str


class WeekCountsOut(CountsOut):
    week: str = Field(description="ISO 8601 week of the due time", examples=["2026-W23"])
    start: date = Field(description="Its Monday, in the zone asked for")


class PostmortemsOut(BaseModel):
    query: AskedOut
    zone: str
    as_of: datetime = Field(description="The time overdue is counted at")
    total: CountsOut
    required: CountsOut = Field(description="Postmortems the incident's severity required")
    optional: CountsOut = Field(description="Postmortems asked for by someone")
    teams: list[TeamCountsOut] = Field(description="Most due first; a postmortem per owning team")
    severities: list[SeverityCountsOut] = Field(description="Most severe first")
    weeks: list[WeekCountsOut] = Field(description="By the week each was due")


def _flags(now: datetime) -> list[ColumnElement[int]]:
    """1 or 0 per state, as of ``now``."""
    published = Postmortem.published_at.is_not(None)
    unpublished = Postmortem.published_at.is_(None)
    found = [
        published & (Postmortem.published_at <= Postmortem.due_at),
        published & (Postmortem.published_at > Postmortem.due_at),
        unpublished & (Postmortem.due_at < now),
        unpublished & (Postmortem.due_at >= now),
    ]
    return flags(found, STATES)


def _matching(query: Select[*tuple[Any, ...]], checked: Filters) -> Select[*tuple[Any, ...]]:
    """``query`` over the matching postmortems and their incidents.

    SQLite is told to start from the postmortems' index (the period is a range
    of it) and to read each one's incident by id: without statistics it would
    walk every incident to find the few with a postmortem.
    """
    return (
        query.select_from(Postmortem)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .where(*conditions.postmortems(checked))
        .with_hint(Postmortem.__table__, f"INDEXED BY {INDEX}", dialect_name="sqlite")
        .with_hint(Incident.__table__, "NOT INDEXED", dialect_name="sqlite")
    )


def _counted(session: Session, rows: Select[Any], *, once: bool = False) -> dict[Any, Counts]:
    """The states of ``rows`` (a key, the postmortem's id, its flags) added up by key.

    The key is grouped on outside the rows' statement, so that PostgreSQL sees one
    grouping column however many parameters the key's expression holds; ``once``
    counts a postmortem once however many rows it has.
    """
    # Once: a postmortem's rows with the same key are the same row (its flags are its own).
    inner = (rows.distinct() if once else rows).subquery()
    query = select(inner.c.key, *(func.sum(inner.c[state]) for state in STATES)).group_by(
        inner.c.key
    )
    return {row[0]: Counts(*(int(n or 0) for n in row[1:])) for row in session.execute(query)}


def _plus(counts: Counts, more: Counts) -> Counts:
    return Counts(*(getattr(counts, state) + getattr(more, state) for state in STATES))


def _breakdowns(
    session: Session, checked: Filters, now: datetime, week: ColumnElement[int] | None
) -> tuple[dict[bool, Counts], dict[str, Counts], dict[int, Counts]]:
    """By required, by severity and by week due, from one grouped read of the postmortems."""
    rows = select(
        Postmortem.required.label("required"),
        Incident.severity.label("severity"),
        (week if week is not None else literal_column("0")).label("week"),
        *_flags(now),
    )
    inner = _matching(rows, checked).subquery()
    keys = (inner.c.required, inner.c.severity, inner.c.week)
    query = select(*keys, *(func.sum(inner.c[state]) for state in STATES)).group_by(*keys)
    required: dict[bool, Counts] = {}
    levels: dict[str, Counts] = {}
    weekly: dict[int, Counts] = {}
    for is_required, level, number, *sums in session.execute(query):
        counts = Counts(*(int(n or 0) for n in sums))
        required[bool(is_required)] = _plus(required.get(bool(is_required), Counts()), counts)
        levels[level] = _plus(levels.get(level, Counts()), counts)
        weekly[number] = _plus(weekly.get(number, Counts()), counts)
    return required, levels, weekly


def _teams(session: Session, checked: Filters, now: datetime) -> list[tuple[str | None, Counts]]:
    owners = filters.service_teams(session)
    if checked.services is not None:
        owners = {name: team for name, team in owners.items() if name in checked.services}
    found: list[tuple[str | None, Counts]] = []
    if owners:
        team = case(owners, value=IncidentService.name)
        rows = (
            _matching(select(team.label("key"), Postmortem.id.label("id"), *_flags(now)), checked)
            .join(IncidentService, IncidentService.incident_id == Postmortem.incident_id)
            # Not the services' index: SQLite would start from it, then scan the
            # postmortems' index for each service row.
            .where(team.is_not(None))
        )
        found = list(_counted(session, rows, once=True).items())
        found.sort(key=lambda each: (-each[1].due, str(each[0])))
    # Each service's team looked up rather than its name in a list: SQLite then reads the
    # incident's services by its id, not each listed name's entry in turn.
    owned_service = case(owners, value=IncidentService.name).is_not(None) if owners else false()
    owned = select(IncidentService.incident_id).where(
        IncidentService.incident_id == Postmortem.incident_id, owned_service
    )
    nobody = _matching(
        select(literal_column("0").label("key"), Postmortem.id.label("id"), *_flags(now)), checked
    ).where(~exists(owned))
    orphans = _counted(session, nobody).get(0, Counts())
    if orphans.due:
        found.append((None, orphans))
    return found


def _total(parts: list[Counts]) -> Counts:
    return Counts(*(sum(getattr(part, state) for part in parts) for state in STATES))


def timeliness(
    session: Session, checked: Filters, now: datetime
) -> tuple[dict[bool, Counts], list[tuple[str | None, Counts]], dict[str, Counts], list[Any]]:
    """By required, by team, by severity, and per week (number, counts) over the period."""
    if checked.nothing_matches:
        return {}, [], {}, []
    covered = weeks.covering(session, Postmortem.due_at, checked, now)
    required, levels, weekly = _breakdowns(session, checked, now, covered.number)
    order = {level.level: rank for rank, level in enumerate(configured.scale(session))}
    ranked = sorted(levels, key=lambda name: (order.get(name, len(order)), name))
    severities = {level: levels[level] for level in ranked}
    series = [(number, weekly.get(number, Counts())) for number in covered.numbers]
    return required, _teams(session, checked, now), severities, series


def answer(session: Session, asked: Asked, now: datetime) -> PostmortemsOut:
    checked = filters.for_incidents(session, asked)
    required, teams, severities, series = timeliness(session, checked, now)
    return PostmortemsOut(
        query=AskedOut.of(asked),
        zone=str(checked.zone),
        as_of=now,
        total=CountsOut(**CountsOut.values(_total(list(required.values())))),
        required=CountsOut(**CountsOut.values(required.get(True, Counts()))),
        optional=CountsOut(**CountsOut.values(required.get(False, Counts()))),
        teams=per_team(TeamCountsOut, teams, CountsOut.values),
        severities=[
            SeverityCountsOut(severity=level, **CountsOut.values(counts))
            for level, counts in severities.items()
        ],
        weeks=weeks.answered(WeekCountsOut, series, CountsOut.values),
    )


COUNTS = (
    Column("due", "Due"),
    Column("on_time", "On time"),
    Column("late", "Late"),
    Column("overdue", "Overdue"),
    Column("not_yet_due", "Not yet due"),
    Column("on_time_rate", "On-time rate", Kind.RATE),
)
VIEWS = (
    View(
        "required",
        "Required and optional postmortems",
        (Column("postmortems", "Postmortems", Kind.TEXT), *COUNTS),
    ),
    team_view("Postmortems per team", COUNTS),
    View(
        "severity", "Postmortems per severity", (Column("severity", "Severity", Kind.TEXT), *COUNTS)
    ),
    week_view("Postmortems per week due", COUNTS),
)


def show(found: PostmortemsOut) -> Shown:
    total = found.total
    sentence = (
        f"{counted(total.due, 'postmortem', 'postmortems')} due, drills left out: "
        f"{total.on_time} published on time, "
        f"{total.late} late, {total.overdue} overdue and {total.not_yet_due} not yet due. "
        f"On-time rate: {percent(total.on_time_rate)}."
    )
    by_required = [
        ["all", *cells(found.total, COUNTS)],
        ["required", *cells(found.required, COUNTS)],
        ["optional", *cells(found.optional, COUNTS)],
    ]
    return Shown(
        sentence=sentence,
        tables=[
            table(VIEWS[0], by_required),
            table(VIEWS[1], team_rows(found.teams, COUNTS)),
            table(VIEWS[2], [[each.severity, *cells(each, COUNTS)] for each in found.severities]),
            table(VIEWS[3], week_rows(found.weeks, COUNTS)),
        ],
        chart=week_chart(
            "Postmortems per week due",
            SERIES,
            found.weeks,
            lambda each: [getattr(each, state) for state in STATES],
        ),
    )


REPORT = Report(
    name="postmortems",
    title="Postmortems",
    summary="Postmortems published on time, late, overdue; the on-time rate",
    description="Over the postmortems due in the period (from, to: their due time), as of now. "
    "severity, service, team and source are the incident's, as for /response; a team "
    "breakdown counts a postmortem for each team owning an affected service. "
    "on_time_rate = on_time / (on_time + late + overdue).",
    model=PostmortemsOut,
    answer=answer,
    views=VIEWS,
    show=show,
)
