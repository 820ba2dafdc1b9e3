"""``tocsin metrics``: response times, frequency, alert accuracy, flapping, on-call load,
and a command per report of :mod:`tocsin.metrics.registry` (postmortems, action items).

Each command asks the server's ``/api/v1/metrics`` API (``--url``, ``--token``)
and prints a table, or the same rows as CSV (``--format csv``: durations in
seconds, shares from 0 to 1, ready for a spreadsheet), or the API's JSON
(``--format json``). A registered report's tables are its views: ``--by``
chooses one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from inspect import Parameter, Signature, signature
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import console, iso_time
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption
from tocsin.domain.durations import spoken
from tocsin.metrics.registry import REPORTS
from tocsin.metrics.reports import Report, readable

app = typer.Typer(
    help="Incident metrics: MTTD/MTTA/MTTR, frequency, alert accuracy, on-call load, "
    "postmortems, action items."
)

API = "/api/v1/metrics"
METRICS = (("mttd", "MTTD"), ("mtta", "MTTA"), ("mttr", "MTTR"))


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FromOption = Annotated[
    str | None, typer.Option("--from", help="Start of the period (ISO 8601; UTC if no zone).")
]
ToOption = Annotated[str | None, typer.Option("--to", help="End of the period (exclusive).")]
SeverityOption = Annotated[
    list[str] | None, typer.Option("--severity", "-S", help="Only this severity (repeatable).")
]
ServiceOption = Annotated[str | None, typer.Option("--service", "-s", help="Only this service.")]
TeamOption = Annotated[
    str | None, typer.Option("--team", "-t", help="Only the services this team owns.")
]
SourceOption = Annotated[str | None, typer.Option("--source", help="Only this source.")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")]
ZoneOption = Annotated[str, typer.Option("--zone", help="Time zone the weeks are counted in.")]


@dataclass(frozen=True)
class Ask:
    """The common question of a command (period and filters), asked of one report's API."""

    remote: Remote
    since: str | None
    until: str | None
    severity: Sequence[str] | None
    service: str | None
    team: str | None
    source: str | None

    def __call__(self, report: str, **params: Any) -> dict[str, Any]:
        query = {
            "from": iso_time(self.since, "--from"),
            "to": iso_time(self.until, "--to"),
            "severity": list(self.severity or []),
            "service": self.service,
            "team": self.team,
            "source": self.source,
            **params,
        }
        answer: dict[str, Any] = self.remote.get(f"{API}/{report}", **query)
        return answer


def _parameter(name: str, annotation: Any, default: Any = Parameter.empty) -> Parameter:
    return Parameter(name, Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


#: The options every command takes before its own, then after them.
ASKED = (
    _parameter("since", FromOption, None),
    _parameter("until", ToOption, None),
    _parameter("severity", SeverityOption, None),
    _parameter("service", ServiceOption, None),
    _parameter("team", TeamOption, None),
    _parameter("source", SourceOption, None),
)
SENT = (
    _parameter("output", FormatOption, Format.TABLE),
    _parameter("url", UrlOption, DEFAULT_URL),
    _parameter("token", TokenOption, None),
)


def command(
    name: str | None = None, *, team_help: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A command of ``body(ask, output, **its own options)``, given the common options too.

    Its options read: the period and filters, its own, then ``--format``,
    ``--url`` and ``--token``; ``team_help`` says what ``--team`` means if it
    is not the services a team owns.
    """

    def register(body: Callable[..., None]) -> Callable[..., None]:
        own = [
            each.replace(kind=Parameter.KEYWORD_ONLY)
            for each in signature(body, eval_str=True).parameters.values()
            if each.name not in ("ask", "output")
        ]
        asked = list(ASKED)
        if team_help is not None:
            option = Annotated[str | None, typer.Option("--team", "-t", help=team_help)]
            team = _parameter("team", option, None)
            asked = [team if each.name == "team" else each for each in asked]
        parameters = [*asked, *own, *SENT]

        def run(**values: Any) -> None:
            ask = Ask(
                Remote(values.pop("url"), values.pop("token")),
                *(values.pop(each.name) for each in ASKED),
            )
            body(ask, **values)

        run.__signature__ = Signature(parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {each.name: each.annotation for each in parameters}
        run.__doc__ = body.__doc__
        app.command(name=name or body.__name__)(run)
        return body

    return register


def _print(
    output: Format, found: dict[str, Any], columns: Sequence[str], rows: list[list[Any]]
) -> None:
    """The rows as a table or CSV, or the API's answer as JSON."""
    if output is Format.JSON:
        typer.echo(json.dumps(found, indent=2))
    elif output is Format.CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        typer.echo(out.getvalue(), nl=False)
    else:
        table = Table(*columns)
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        console.print(table)


def _duration(seconds: float | None) -> str:
    return "n/a" if seconds is None else spoken(timedelta(seconds=round(seconds)))


@command()
def response(ask: Ask, output: Format) -> None:
    """MTTD, MTTA and MTTR: mean, median and 90th percentile, with counts (drills excluded)."""
    found = ask("response")
    fields = ("mean_seconds", "median_seconds", "p90_seconds")
    if output is Format.CSV:
        rows = [
            [label, found[key]["count"], *(found[key][f] for f in fields)] for key, label in METRICS
        ]
        _print(output, found, ["metric", "count", *fields], rows)
        return
    rows = [
        [label, found[key]["count"], *(_duration(found[key][f]) for f in fields)]
        for key, label in METRICS
    ]
    _print(output, found, ["metric", "incidents", "mean", "median", "p90"], rows)
    if output is Format.TABLE:
        console.print(f"{found['incidents']} incidents match (drills excluded)", highlight=False)


@command()
def frequency(
    ask: Ask,
    output: Format,
    zone: ZoneOption = "UTC",
    by_service: Annotated[
        bool, typer.Option("--by-service", help="A column per service instead of per severity.")
    ] = False,
) -> None:
    """Incidents per ISO week, a column per severity (or per service)."""
    found = ask("frequency", zone=zone)
    keys, field = (
        (found["services"], "by_service") if by_service else (found["severities"], "by_severity")
    )
    rows = [
        [week["week"], week["start"], week["total"], *(week[field].get(key, 0) for key in keys)]
        for week in found["weeks"]
    ]
    _print(output, found, ["week", "monday", "incidents", *keys], rows)


@command()
def accuracy(
    ask: Ask,
    output: Format,
    limit: Annotated[int, typer.Option("--limit", help="Rules listed, noisiest first.")] = 50,
) -> None:
    """Alert accuracy per rule, noisiest first: incident, acknowledged or noise."""
    found = ask("alerts", limit=limit)
    columns = [
        "service",
        "rule",
        "groups",
        "alerts",
        "incidents",
        "acknowledged",
        "noise",
        "precision",
    ]
    rows = [[rule[column] for column in columns] for rule in found["rules"]]
    _print(output, found, columns, rows)
    if output is Format.TABLE and found["rule_count"] > len(rows):
        console.print(f"{len(rows)} of {found['rule_count']} rules (--limit)", highlight=False)


@command()
def flapping(ask: Ask, output: Format) -> None:
    """Per service: alerts, flapping ones, and those resolved by no person."""
    found = ask("alerts", limit=1)
    columns = ["service", "alerts", "flapping", "auto_resolved", "resolved_by_tocsin"]
    rows = [[each[column] for column in columns] for each in found["services"]]
    _print(output, found, columns, rows)


@command()
def oncall(ask: Ask, output: Format) -> None:
    """Pages per person, and after-hours pages (outside 08:00-18:00 Mon-Fri, their zone)."""
    found = ask("oncall")
    columns = ["person", "time_zone", "pages", "after_hours"]
    rows = [[person[column] for column in columns] for person in found["people"]]
    _print(output, found, columns, rows)


ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Which table (see the command's help); the first if none."),
]
#: Where a report's team is not the services a team owns.
TEAMS = {"action-items": "Only the action items of this team (the item's own team)."}


def _registered(report: Report[Any]) -> None:
    """``tocsin metrics <name>``: one of the report's views, or its JSON."""
    keys = [view.key for view in report.views]

    def tables(ask: Ask, output: Format, zone: ZoneOption = "UTC", by: ByOption = None) -> None:
        key = by or keys[0]
        if key not in keys:
            raise typer.BadParameter(f"expected one of {', '.join(keys)}", param_hint="--by")
        found = ask(report.name, zone=zone)
        shown = report.show(report.model.model_validate(found))
        [chosen] = [each for each in shown.tables if each.view.key == key]
        columns = chosen.view.columns
        rows: list[list[Any]]
        if output is Format.TABLE:
            rows = [
                [readable(cell, column.kind) for cell, column in zip(row, columns, strict=True)]
                for row in chosen.rows
            ]
        else:
            rows = [["" if cell is None else cell for cell in row] for row in chosen.rows]
        _print(output, found, [column.name for column in columns], rows)
        if output is Format.TABLE:
            console.print(shown.sentence, highlight=False)

    views = "; ".join(f"{view.key}: {view.title.lower()}" for view in report.views)
    tables.__doc__ = f"{report.summary} (drills excluded). --by {views}."
    command(report.name, team_help=TEAMS.get(report.name))(tables)


for registered in REPORTS:
    _registered(registered)
