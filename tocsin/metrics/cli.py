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
from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
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


def _ask(
    remote: Remote,
    report: str,
    since: str | None,
    until: str | None,
    severity: Sequence[str] | None,
    **params: Any,
) -> dict[str, Any]:
    query = {
        "from": iso_time(since, "--from"),
        "to": iso_time(until, "--to"),
        "severity": list(severity or []),
        **params,
    }
    answer: dict[str, Any] = remote.get(f"{API}/{report}", **query)
    return answer


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


@app.command()
def response(
    since: FromOption = None,
    until: ToOption = None,
    severity: SeverityOption = None,
    service: ServiceOption = None,
    team: TeamOption = None,
    source: SourceOption = None,
    output: FormatOption = Format.TABLE,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """MTTD, MTTA and MTTR: mean, median and 90th percentile, with counts (drills excluded)."""
    found = _ask(
        Remote(url, token),
        "response",
        since,
        until,
        severity,
        service=service,
        team=team,
        source=source,
    )
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


@app.command()
def frequency(
    since: FromOption = None,
    until: ToOption = None,
    severity: SeverityOption = None,
    service: ServiceOption = None,
    team: TeamOption = None,
    source: SourceOption = None,
    zone: Annotated[
        str, typer.Option("--zone", help="Time zone the weeks are counted in.")
    ] = "UTC",
    by_service: Annotated[
        bool, typer.Option("--by-service", help="A column per service instead of per severity.")
    ] = False,
    output: FormatOption = Format.TABLE,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Incidents per ISO week, a column per severity (or per service)."""
    found = _ask(
        Remote(url, token),
        "frequency",
        since,
        until,
        severity,
        service=service,
        team=team,
        source=source,
        zone=zone,
    )
    keys, field = (
        (found["services"], "by_service") if by_service else (found["severities"], "by_severity")
    )
    rows = [
        [week["week"], week["start"], week["total"], *(week[field].get(key, 0) for key in keys)]
        for week in found["weeks"]
    ]
    _print(output, found, ["week", "monday", "incidents", *keys], rows)


@app.command()
def accuracy(
    since: FromOption = None,
    until: ToOption = None,
    severity: SeverityOption = None,
    service: ServiceOption = None,
    team: TeamOption = None,
    source: SourceOption = None,
    limit: Annotated[int, typer.Option("--limit", help="Rules listed, noisiest first.")] = 50,
    output: FormatOption = Format.TABLE,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Alert accuracy per rule, noisiest first: incident, acknowledged or noise."""
    found = _ask(
        Remote(url, token),
        "alerts",
        since,
        until,
        severity,
        service=service,
        team=team,
        source=source,
        limit=limit,
    )
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


@app.command()
def flapping(
    since: FromOption = None,
    until: ToOption = None,
    severity: SeverityOption = None,
    service: ServiceOption = None,
    team: TeamOption = None,
    source: SourceOption = None,
    output: FormatOption = Format.TABLE,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Per service: alerts, flapping ones, and those resolved by no person."""
    found = _ask(
        Remote(url, token),
        "alerts",
        since,
        until,
        severity,
        service=service,
        team=team,
        source=source,
        limit=1,
    )
    columns = ["service", "alerts", "flapping", "auto_resolved", "resolved_by_tocsin"]
    rows = [[each[column] for column in columns] for each in found["services"]]
    _print(output, found, columns, rows)


@app.command()
def oncall(
    since: FromOption = None,
    until: ToOption = None,
    severity: SeverityOption = None,
    service: ServiceOption = None,
    team: TeamOption = None,
    source: SourceOption = None,
    output: FormatOption = Format.TABLE,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Pages per person, and after-hours pages (outside 08:00-18:00 Mon-Fri, their zone)."""
    found = _ask(
        Remote(url, token),
        "oncall",
        since,
        until,
        severity,
        service=service,
        team=team,
        source=source,
    )
    columns = ["person", "time_zone", "pages", "after_hours"]
    rows = [[person[column] for column in columns] for person in found["people"]]
    _print(output, found, columns, rows)


ZoneOption = Annotated[str, typer.Option("--zone", help="Time zone the weeks are counted in.")]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Which table (see the command's help); the first if none."),
]


def _registered(report: Report[Any]) -> None:
    """``tocsin metrics <name>``: one of the report's views, or its JSON."""
    keys = [view.key for view in report.views]

    def command(
        since: FromOption = None,
        until: ToOption = None,
        severity: SeverityOption = None,
        service: ServiceOption = None,
        team: TeamOption = None,
        source: SourceOption = None,
        zone: ZoneOption = "UTC",
        by: ByOption = None,
        output: FormatOption = Format.TABLE,
        url: UrlOption = DEFAULT_URL,
        token: TokenOption = None,
    ) -> None:
        key = by or keys[0]
        if key not in keys:
            raise typer.BadParameter(f"expected one of {', '.join(keys)}", param_hint="--by")
        found = _ask(
            Remote(url, token),
            report.name,
            since,
            until,
            severity,
            service=service,
            team=team,
            source=source,
            zone=zone,
        )
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
    command.__doc__ = f"{report.summary} (drills excluded). --by {views}."
    app.command(name=report.name)(command)


for registered in REPORTS:
    _registered(registered)
