"""``tocsin action-item ...``: every action item over the HTTP API (``--url``, ``--token``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import console, fail
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption

app = typer.Typer(
    help="Action items: for an incident, a postmortem or a team; list, add, change.",
    no_args_is_help=True,
)

API = "/api/v1/action-items"
ItemArgument = Annotated[str, typer.Argument(help="Action item reference, e.g. AI-7 or 7.")]
JsonOption = Annotated[bool, typer.Option("--json", help="The API's answer as JSON.")]
StatusOption = Annotated[str | None, typer.Option(help="open, in_progress, done or wont_do.")]
ReasonOption = Annotated[str | None, typer.Option(help="Why it won't be done.")]
FieldOption = Annotated[str | None, typer.Option()]
KindOption = Annotated[str, typer.Option("--type", help="detect, mitigate, prevent or process.")]
PriorityOption = Annotated[str, typer.Option(help="P1, P2 or P3.")]
DueOption = Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD.")]


def changes(given: dict[str, str | None]) -> dict[str, str]:
    """The fields given a value, to send as a change; the command fails if there are none."""
    body = {name: value for name, value in given.items() if value is not None}
    if not body:
        fail("nothing to change: give at least one option")
    return body


def status_text(item: dict[str, Any]) -> str:
    """An item's status as a person reads it, with why it won't be done."""
    status: str = item["status"].replace("_", " ")
    return status + (f": {item['reason']}" if item["reason"] else "")


def due_text(item: dict[str, Any]) -> str:
    """An item's due date, marked when it is overdue."""
    return (item["due_date"] or "") + (" (overdue)" if item["overdue"] else "")


def print_items(items: list[dict[str, Any]], as_json: bool = False) -> None:
    if as_json:
        console.print_json(json.dumps(items))
        return
    table = Table(
        "item", "priority", "type", "status", "owner", "team", "due", "for", "description"
    )
    for item in items:
        linked = " ".join(part for part in (item["incident"], item["postmortem"]) if part)
        table.add_row(
            item["reference"],
            item["priority"],
            item["type"],
            status_text(item),
            item["owner"] or "",
            item["team"] or "",
            due_text(item),
            linked,
            item["description"],
        )
    console.print(table)


@app.command("list")
def list_items(
    owner: Annotated[str | None, typer.Option(help="Only those this person owns.")] = None,
    team: Annotated[str | None, typer.Option(help="Only this team's.")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(help="open, in_progress, done or wont_do (repeatable: any of them)."),
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    incident: Annotated[str | None, typer.Option(help="Only this incident's (INC-12).")] = None,
    postmortem: Annotated[str | None, typer.Option(help="Only this postmortem's (PM-3).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    cursor: Annotated[str | None, typer.Option(help="Continue after a previous list.")] = None,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List action items, newest first."""
    response = Remote(url, token).request(
        "GET",
        API,
        params={
            "owner": owner,
            "team": team,
            "status": status or None,
            "overdue": "true" if overdue else None,
            "incident": incident,
            "postmortem": postmortem,
            "limit": limit,
            "cursor": cursor,
        },
    )
    print_items(response.json(), as_json)
    following = response.headers.get("X-Next-Cursor")
    if following is not None and not as_json:
        console.print(f"more: add --cursor {following}", highlight=False)


@app.command("add")
def add_item(
    description: Annotated[str, typer.Argument(help="What to do.")],
    owner: FieldOption = None,
    priority: PriorityOption = "P2",
    kind: KindOption = "prevent",
    due: DueOption = None,
    team: Annotated[
        str | None, typer.Option(help="Default: the team owning the incident's first service.")
    ] = None,
    incident: Annotated[str | None, typer.Option(help="The incident it is for (INC-12).")] = None,
    postmortem: Annotated[
        str | None, typer.Option(help="The postmortem it comes from (PM-3).")
    ] = None,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Add an action item, for an incident, a postmortem, or neither (give a team)."""
    given = {
        "owner": owner,
        "due_date": due,
        "team": team,
        "incident": incident,
        "postmortem": postmortem,
    }
    body = {
        "description": description,
        "priority": priority,
        "type": kind,
        **{name: value for name, value in given.items() if value is not None},
    }
    print_items([Remote(url, token).post(API, body)], as_json)


@app.command("set")
def set_item(
    item: ItemArgument,
    status: StatusOption = None,
    reason: ReasonOption = None,
    owner: FieldOption = None,
    priority: FieldOption = None,
    kind: Annotated[str | None, typer.Option("--type")] = None,
    due: DueOption = None,
    team: FieldOption = None,
    description: FieldOption = None,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Change an action item: its status (won't do needs --reason), owner, due date..."""
    body = changes(
        {
            "status": status,
            "reason": reason,
            "owner": owner,
            "priority": priority,
            "type": kind,
            "due_date": due,
            "team": team,
            "description": description,
        }
    )
    print_items([Remote(url, token).patch(f"{API}/{item}", body)], as_json)
