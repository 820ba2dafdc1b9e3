"""``tocsin ack``, ``tocsin page list``, ``tocsin escalation ...``.

Acknowledging, listing and acting on escalations go through a running
server's API (``--url`` / ``--token``), like the incident commands. The dry
run, ``tocsin escalation simulate``, only reads definitions, so it reads the
database directly (``--data-dir`` / ``--database-url``) and works with no
server running, right after ``tocsin config apply``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, fail, open_database
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption
from tocsin.domain.escalation import Urgency
from tocsin.domain.refusals import Refusal
from tocsin.kernel.clock import SystemClock
from tocsin.paging import simulate as simulation

escalation = typer.Typer(help="Escalations: dry runs and actions.", no_args_is_help=True)
page = typer.Typer(help="Pages and their delivery attempts.", no_args_is_help=True)

IdArgument = Annotated[int, typer.Argument(help="Escalation id.", min=1)]


def _at(value: str | None) -> datetime:
    if value is None:
        return SystemClock().now()
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"--at: expected an ISO 8601 time like 2026-02-16T14:00:00Z, got {value!r}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def ack(
    page_id: Annotated[
        int, typer.Argument(help="Page id (from the message or `tocsin page list`).", min=1)
    ],
    escalation_id: Annotated[
        bool, typer.Option("--escalation", help="ID is an escalation id, not a page id.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Acknowledge a page: its escalation stops paging anyone else."""
    path = "escalations" if escalation_id else "pages"
    result = Remote(url, token).post(f"/api/v1/{path}/{page_id}/acknowledge", {})
    console.print(
        f"escalation {result['id']} ({result['title']}) acknowledged by "
        f"{result['acknowledged_by']}",
        highlight=False,
    )


@escalation.command("simulate")
def simulate(
    policy: Annotated[
        str | None,
        typer.Argument(help="Escalation policy name (default: the one --service pages with)."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When the alert fires (ISO 8601; default now).")
    ] = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            help="Service whose team fills role targets; without POLICY, the policy it pages "
            "with (its own, its team's or paging.default_escalation_policy).",
        ),
    ] = None,
    urgency: Annotated[Urgency, typer.Option("--urgency")] = Urgency.HIGH,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Who would be paged, how and at which minute, if an alert fired and nobody answered."""
    start = _at(at)
    database = open_database(data_dir, database_url)
    try:
        with database.sessions() as session:
            result = simulation.simulate(session, policy, start, service=service, urgency=urgency)
    except Refusal as error:
        fail(str(error))
    finally:
        database.dispose()
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2, default=str))
        return
    for line in simulation.render(result):
        typer.echo(line)


def _print_runs(items: list[dict[str, Any]]) -> None:
    table = Table("id", "state", "urgency", "policy", "title", "next step at", "acknowledged by")
    for item in items:
        table.add_row(
            str(item["id"]),
            item["state"],
            item["urgency"],
            item["policy"],
            item["title"],
            _when(item["next_step_at"]),
            item["acknowledged_by"] or "",
        )
    console.print(table)


@escalation.command("list")
def list_escalations(
    state: Annotated[str | None, typer.Option(help="active, acknowledged or resolved.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Escalations, newest first."""
    _print_runs(Remote(url, token).get("/api/v1/escalations", state=state))


@escalation.command("show")
def show(run_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """One escalation's timeline."""
    detail = Remote(url, token).get(f"/api/v1/escalations/{run_id}")
    _print_runs([detail])
    for event in detail["events"]:
        console.print(f"{_when(event['at'])}  {event['text']}", highlight=False)


def _act(run_id: int, action: str, body: dict[str, Any], url: str, token: str | None) -> None:
    result = Remote(url, token).post(f"/api/v1/escalations/{run_id}/{action}", body)
    console.print(f"escalation {result['id']}: {result['state']}", highlight=False)


@escalation.command("resolve")
def resolve(run_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Resolve: stop every further step and notification."""
    _act(run_id, "resolve", {}, url, token)


@escalation.command("escalate")
def escalate(run_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Run the next step now instead of waiting for the timeout."""
    _act(run_id, "escalate", {}, url, token)


@escalation.command("reassign")
def reassign(
    run_id: IdArgument,
    user: Annotated[str, typer.Argument(help="Who to page instead.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Page this person now; the policy resumes after the current step's timeout."""
    _act(run_id, "reassign", {"user": user}, url, token)


@page.command("list")
def list_pages(
    state: Annotated[str | None, typer.Option(help="open, acknowledged, closed or dead.")] = None,
    user: Annotated[str | None, typer.Option(help="Only this person's pages.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Pages, newest first, with how each notification went."""
    items = Remote(url, token).get("/api/v1/pages", state=state, user=user)
    table = Table("id", "escalation", "user", "state", "title", "notifications")
    for item in items:
        notes = "; ".join(
            f"{n['method_type']} {n['state']}"
            + (
                f" ({n['attempts'][-1]['error']})"
                if n["attempts"] and n["attempts"][-1]["error"]
                else ""
            )
            for n in item["notifications"]
        )
        table.add_row(
            str(item["id"]),
            str(item["escalation"]),
            item["user"],
            item["state"],
            item["title"],
            notes,
        )
    console.print(table)
