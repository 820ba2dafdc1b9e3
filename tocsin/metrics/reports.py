"""The extension point: a report is a :class:`Report`, registered in :mod:`tocsin.metrics.registry`.

A registered report is served, printed and drawn without further code:

- the API answers ``GET /api/v1/metrics/<name>`` with its :attr:`Report.model`
  (:mod:`tocsin.metrics.routes`);
- ``tocsin metrics <name>`` prints one of its :attr:`Report.views` as a table
  or CSV, or the API's JSON (:mod:`tocsin.metrics.cli`);
- the console shows it as a tab of the Metrics pages, ``/incident-metrics/<name>``:
  its sentence, its weekly chart and every view as a table
  (``tocsin.console.metrics``).

Each takes the common question (:class:`~tocsin.metrics.filters.Asked`: period,
severity, service, team, source, and the zone its weeks are counted in) and
the time now. What it shows (:class:`Shown`) is made from its API answer, so
the command line, which only has the answer, shows what the console does.
The views per team and per week, their rows and the weekly chart are made
here (:func:`team_view`, :func:`week_view`, :func:`week_chart`), for every
report that has them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tocsin.metrics.filters import Asked

Answer = TypeVar("Answer", bound=BaseModel)
Cell = str | int | float | None
#: The row of what belongs to no team.
NO_TEAM = "no team"


class Kind(StrEnum):
    """How a column's values read: as text, a count, a share (0..1) or a number of days."""

    TEXT = "text"
    COUNT = "count"
    RATE = "rate"
    DAYS = "days"


@dataclass(frozen=True)
class Column:
    #: The CSV header and JSON-like name (``on_time_rate``).
    name: str
    #: What a person reads (``On-time rate``).
    heading: str
    kind: Kind = Kind.COUNT


@dataclass(frozen=True)
class View:
    """One table of a report: ``tocsin metrics <name> --by <key>``, a table on the console."""

    key: str
    title: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    view: View
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Bucket:
    """One week of the chart: its ISO name, its Monday, and a count per series."""

    label: str
    start: date
    counts: dict[str, int]


@dataclass(frozen=True)
class Chart:
    title: str
    #: Stacked in this order, bottom first.
    series: tuple[str, ...]
    weeks: list[Bucket]


@dataclass(frozen=True)
class Shown:
    """What the console and the command line show of an answer."""

    sentence: str
    tables: list[Table]
    chart: Chart


@dataclass(frozen=True)
class Report(Generic[Answer]):
    #: The URL segment, the command and the console tab: ``postmortems``.
    name: str
    #: The tab's and the page's title.
    title: str
    #: One line for the API's summary and the command's help.
    summary: str
    #: What is counted and what each filter means, for the API's description.
    description: str
    #: The API's answer.
    model: type[Answer]
    #: Checks the question (refusals name the field) and answers it, given the time now.
    answer: Callable[[Session, Asked, datetime], Answer]
    #: The tables a command may print (``--by``), the first by default.
    views: tuple[View, ...]
    show: Callable[[Answer], Shown]


def counted(count: int, one: str, many: str) -> str:
    """``1 postmortem``, ``3 postmortems``."""
    return f"{count} {one if count == 1 else many}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def readable(cell: Cell, kind: Kind) -> str:
    """A cell as a person reads it: shares as percentages, "n/a" for what is not known."""
    if cell is None:
        return "n/a"
    if kind is Kind.RATE and isinstance(cell, float | int):
        return percent(float(cell))
    if kind is Kind.DAYS and isinstance(cell, float | int):
        return f"{cell:.1f}"
    return str(cell)


def table(view: View, rows: Sequence[Sequence[Cell]]) -> Table:
    return Table(view, [list(row) for row in rows])


def cells(counts: object, columns: Sequence[Column]) -> list[Cell]:
    """The values of ``columns`` in one of an answer's counts."""
    return [getattr(counts, column.name) for column in columns]


def rate(value: float | None) -> float | None:
    """A share as an answer gives it: to four decimals."""
    return None if value is None else round(value, 4)


class Teamed(Protocol):
    """An answer's counts of one team."""

    @property
    def team(self) -> str | None: ...


class Weekly(Protocol):
    """An answer's counts of one week."""

    @property
    def week(self) -> str: ...

    @property
    def start(self) -> date: ...


Week = TypeVar("Week", bound=Weekly)


Out = TypeVar("Out", bound=BaseModel)
Counted = TypeVar("Counted")


def per_team(
    model: type[Out],
    teams: Sequence[tuple[str | None, Counted]],
    values: Callable[[Counted], dict[str, Any]],
) -> list[Out]:
    """An answer's teams: each one's ``team`` (None: no team) and counts."""
    return [model(team=team, **values(counts)) for team, counts in teams]


def team_view(title: str, counts: tuple[Column, ...]) -> View:
    """A row per team, then its counts."""
    return View("team", title, (Column("team", "Team", Kind.TEXT), *counts))


def week_view(title: str, counts: tuple[Column, ...]) -> View:
    """A row per week (its ISO name and its Monday), then its counts."""
    return View(
        "week",
        title,
        (Column("week", "Week", Kind.TEXT), Column("monday", "Monday", Kind.TEXT), *counts),
    )


def team_rows(teams: Sequence[Teamed], counts: tuple[Column, ...]) -> list[list[Cell]]:
    """Rows of :func:`team_view`: a team of none reads "no team"."""
    return [[each.team or NO_TEAM, *cells(each, counts)] for each in teams]


def week_rows(weeks: Sequence[Weekly], counts: tuple[Column, ...]) -> list[list[Cell]]:
    """Rows of :func:`week_view`."""
    return [[each.week, each.start.isoformat(), *cells(each, counts)] for each in weeks]


def week_chart(
    title: str,
    series: tuple[str, ...],
    weeks: Sequence[Week],
    counts: Callable[[Week], Sequence[int]],
) -> Chart:
    """A bar per week, stacking ``counts`` of it, one per series."""
    return Chart(
        title=title,
        series=series,
        weeks=[
            Bucket(each.week, each.start, dict(zip(series, counts(each), strict=True)))
            for each in weeks
        ],
    )
