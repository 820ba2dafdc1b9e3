"""``tocsin postmortem ...``: postmortems over the HTTP API (``--url``, ``--token``)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import console, fail, iso_time
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption
from tocsin.postmortems.action_item_cli import (
    DueOption,
    FieldOption,
    KindOption,
    PriorityOption,
    ReasonOption,
    StatusOption,
    changes,
    due_text,
    status_text,
)

app = typer.Typer(
    help="Postmortems: draft, edit, review, publish; their action items.", no_args_is_help=True
)

API = "/api/v1/postmortems"
RefArgument = Annotated[str, typer.Argument(help="Postmortem reference, e.g. PM-3 or 3.")]
Points = Annotated[list[str] | None, typer.Option(help="A point (repeatable; replaces the list).")]


def when(value: str | None) -> str:
    return value.replace("T", " ").replace("Z", " UTC") if value else ""


def print_postmortem(postmortem: dict[str, Any]) -> None:
    document = postmortem["document"]
    console.print(f"{postmortem['reference']}: {document['title']}", highlight=False, markup=False)
    facts = Table(show_header=False, box=None)
    facts.add_row("incident", postmortem["incident"])
    facts.add_row("status", postmortem["status"].replace("_", " "))
    facts.add_row("owner", postmortem["owner"] or "nobody")
    late = " (overdue)" if postmortem["overdue"] else ""
    facts.add_row("due", when(postmortem["due_at"]) + late)
    facts.add_row("version", str(postmortem["version"]))
    facts.add_row("duration", document["duration"] or "n/a")
    metrics = document["facts"]["metrics"]
    facts.add_row("MTTD / MTTA / MTTR", " / ".join(metrics[k]["text"] for k in metrics))
    console.print(facts)
    for section in document["sections"]:
        console.print(f"\n[bold]{section['title']}[/bold]")
        for line in section_lines(postmortem, section):
            console.print(line, highlight=False, markup=False)


def section_lines(postmortem: dict[str, Any], section: dict[str, str]) -> list[str]:
    """A section as lines of text (action items are listed by their own command)."""
    document, key = postmortem["document"], section["key"]
    if section["kind"] == "impact":
        return [f"{name}: {value}" for name, value in document["impact"].items() if value]
    if section["kind"] == "timeline":
        return [f"{item['time']}  {item['event']}" for item in document["timeline"]]
    if section["kind"] == "root_cause":
        lines = [document["root_cause"]] if document["root_cause"] else []
        for number, why in enumerate(document["five_whys"], 1):
            cites = f" (#{', #'.join(map(str, why['cites']))})" if why["cites"] else ""
            lines.append(f"{number}. {why['why']} {why['answer']}{cites}".rstrip())
        return lines
    if section["kind"] == "action_items":
        return [f"see: tocsin postmortem actions {postmortem['reference']}"]
    value = document["extra"][key] if key in document["extra"] else document.get(key, "")
    return [f"- {point}" for point in value] if isinstance(value, list) else [value]


@app.command("list")
def list_postmortems(
    status: Annotated[
        str | None, typer.Option(help="draft, in_review, published or closed.")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only those this person owns.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    cursor: Annotated[str | None, typer.Option(help="Continue after a previous list.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List postmortems, newest first."""
    page = Remote(url, token).get(API, status=status, owner=owner, limit=limit, cursor=cursor)
    table = Table("ref", "incident", "status", "owner", "due", "title")
    for item in page["items"]:
        late = " (overdue)" if item["overdue"] else ""
        table.add_row(
            item["reference"],
            item["incident"],
            item["status"].replace("_", " "),
            item["owner"] or "",
            when(item["due_at"]) + late,
            item["document"]["title"],
        )
    console.print(table)
    if page["next_cursor"] is not None:
        console.print(f"more: add --cursor {page['next_cursor']}", highlight=False)


@app.command()
def show(
    ref: RefArgument,
    as_json: Annotated[bool, typer.Option("--json", help="The API's answer as JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show a postmortem: its state, then each section."""
    postmortem = Remote(url, token).get(f"{API}/{ref}")
    if as_json:
        console.print_json(json.dumps(postmortem))
        return
    print_postmortem(postmortem)


@app.command()
def create(
    incident: Annotated[str, typer.Argument(help="Incident reference, e.g. INC-42.")],
    template: Annotated[str | None, typer.Option(help="A configured template.")] = None,
    owner: Annotated[str | None, typer.Option(help="Default: the Incident Commander.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Draft a resolved incident's postmortem now (required ones are drafted on their own)."""
    body = {key: value for key, value in (("template", template), ("owner", owner)) if value}
    postmortem = Remote(url, token).post(f"/api/v1/incidents/{incident}/postmortem", body)
    console.print(
        f"drafted {postmortem['reference']} for {postmortem['incident']}, owned by "
        f"{postmortem['owner'] or 'nobody'}, due {when(postmortem['due_at'])}",
        highlight=False,
    )


def _edit_body(
    remote: Remote, ref: str, fields: dict[str, Any], add_entry: list[int], from_file: Path | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if from_file is not None:
        try:
            loaded = json.loads(from_file.read_text())
        except (OSError, ValueError) as error:
            fail(f"--file: cannot read JSON from {from_file}: {error}")
        if not isinstance(loaded, dict):
            fail("--file: expected a JSON object of the fields to change")
        body.update(loaded)
    body.update({name: value for name, value in fields.items() if value is not None})
    impact: dict[str, Any] = {
        name: body.pop(name)
        for name in ("users_affected", "revenue_impact", "error_budget_consumed")
        if name in body
    }
    if impact:
        body["impact"] = {**body.get("impact", {}), **impact}
    if add_entry:
        current = remote.get(f"{API}/{ref}")
        timeline = [
            {"sequence": item["sequence"]} if item["sequence"] else item
            for item in current["document"]["timeline"]
        ]
        timeline.extend({"sequence": number} for number in add_entry)
        body["timeline"] = [
            {key: value for key, value in item.items() if key in ("sequence", "at", "event")}
            for item in timeline
        ]
        body.setdefault("version", current["version"])
    return body


@app.command()
def edit(
    ref: RefArgument,
    title: Annotated[str | None, typer.Option()] = None,
    summary: Annotated[str | None, typer.Option()] = None,
    root_cause: Annotated[str | None, typer.Option()] = None,
    users_affected: Annotated[int | None, typer.Option(min=0)] = None,
    revenue_impact: Annotated[str | None, typer.Option()] = None,
    error_budget: Annotated[str | None, typer.Option(help="Error budget consumed.")] = None,
    factor: Points = None,
    went_well: Points = None,
    went_poorly: Points = None,
    lucky: Points = None,
    lesson: Points = None,
    add_entry: Annotated[
        list[int] | None,
        typer.Option(help="Add the incident's timeline entry #N (repeatable)."),
    ] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    due: Annotated[str | None, typer.Option(help="A new due date (ISO 8601).")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--file", help="A JSON object of the fields to change.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Edit a draft's document (or anyone's owner and due date); only what is given changes."""
    remote = Remote(url, token)
    fields = {
        "title": title,
        "summary": summary,
        "root_cause": root_cause,
        "users_affected": users_affected,
        "revenue_impact": revenue_impact,
        "error_budget_consumed": error_budget,
        "contributing_factors": factor,
        "what_went_well": went_well,
        "what_went_poorly": went_poorly,
        "where_we_got_lucky": lucky,
        "lessons_learned": lesson,
        "owner": owner,
        "due_at": iso_time(due, "--due"),
    }
    body = _edit_body(remote, ref, fields, add_entry or [], from_file)
    if not body:
        fail("nothing to change: give at least one option")
    postmortem = remote.patch(f"{API}/{ref}", body)
    console.print(f"{postmortem['reference']}: version {postmortem['version']}", highlight=False)


@app.command()
def timeline(ref: RefArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """The incident's whole timeline; * marks the entries the postmortem has."""
    table = Table("", "#", "occurred", "kind", "text")
    for entry in Remote(url, token).get(f"{API}/{ref}/timeline"):
        table.add_row(
            "*" if entry["selected"] else "",
            str(entry["sequence"]),
            when(entry["at"]),
            entry["kind"].replace("_", " "),
            entry["text"],
        )
    console.print(table)


@app.command()
def versions(ref: RefArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Every version: who changed what, when."""
    table = Table("version", "at", "by", "change", "fields")
    for version in Remote(url, token).get(f"{API}/{ref}/versions"):
        table.add_row(
            str(version["version"]),
            when(version["at"]),
            version["author"],
            version["action"].replace("_", " "),
            ", ".join(change["field"] for change in version["changes"]),
        )
    console.print(table)


class ExportFormat(StrEnum):
    YAML = "yaml"
    MARKDOWN = "markdown"
    HTML = "html"
    PDF = "pdf"


@app.command()
def export(
    ref: RefArgument,
    format: Annotated[
        ExportFormat,
        typer.Option("--format", help="markdown, html, pdf, or yaml: the seed's template format."),
    ] = ExportFormat.YAML,
    public: Annotated[
        bool, typer.Option("--public", help="The public version (a published postmortem's).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (a PDF must).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Write the postmortem as Markdown, HTML or PDF, or in the seed's YAML format."""
    if format is ExportFormat.PDF and output is None:
        fail("--output: a PDF is not printed to the terminal; name a file")
    remote = Remote(url, token)
    if format is ExportFormat.YAML:
        if public:
            fail("--public: the seed's format has no public version; use markdown, html or pdf")
        answer = remote.request("GET", f"{API}/{ref}/template.yaml")
    else:
        version = "public" if public else "internal"
        params = {"format": format.value, "version": version}
        answer = remote.request("GET", f"{API}/{ref}/export", params=params)
    if output is None:
        console.print(answer.text, highlight=False, markup=False, end="")
        return
    output.write_bytes(answer.content)
    console.print(f"wrote {output} ({len(answer.content)} bytes)", highlight=False, markup=False)


@app.command("make-public")
def make_public(
    ref: RefArgument,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify", help="Tell the status page's subscribers too (once per incident)."
        ),
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Publish the public version on the incident's status page entry (again: refresh it)."""
    body = {"notify": notify}
    answer = Remote(url, token).request("POST", f"{API}/{ref}/public", json=body).json()
    console.print(
        f"{answer['reference']} is public on the status page since {when(answer['public_at'])}",
        highlight=False,
        markup=False,
    )
    if answer["public_notified_at"]:
        console.print(
            f"its subscribers were told {when(answer['public_notified_at'])}",
            highlight=False,
            markup=False,
        )


@app.command("withdraw-public")
def withdraw_public(
    ref: RefArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Take the public version off the status page."""
    answer = Remote(url, token).request("DELETE", f"{API}/{ref}/public").json()
    console.print(
        f"{answer['reference']} is no longer on the status page", highlight=False, markup=False
    )


def _print_state(postmortem: dict[str, Any]) -> None:
    reviewers = ", ".join(
        f"{r['user']}: {r['verdict'].replace('_', ' ')}" for r in postmortem["reviewers"]
    )
    console.print(
        f"{postmortem['reference']}: {postmortem['status'].replace('_', ' ')}"
        + (f" ({reviewers})" if reviewers else ""),
        highlight=False,
        markup=False,
    )


@app.command()
def submit(
    ref: RefArgument,
    reviewer: Annotated[list[str], typer.Option(help="A reviewer (repeatable).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Submit a draft for review by the named reviewers."""
    _print_state(Remote(url, token).post(f"{API}/{ref}/submit", {"reviewers": reviewer}))


@app.command()
def approve(
    ref: RefArgument,
    comment: Annotated[str, typer.Option(help="What you think.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Approve a postmortem you were asked to review."""
    body = {"verdict": "approve", "comment": comment}
    _print_state(Remote(url, token).post(f"{API}/{ref}/reviews", body))


@app.command("request-changes")
def request_changes(
    ref: RefArgument,
    comment: Annotated[str, typer.Option(help="What should change.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Send a postmortem you review back to its authors, saying what should change."""
    body = {"verdict": "request_changes", "comment": comment}
    _print_state(Remote(url, token).post(f"{API}/{ref}/reviews", body))


@app.command()
def publish(ref: RefArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Publish a postmortem every reviewer approved."""
    _print_state(Remote(url, token).post(f"{API}/{ref}/publish", {}))


@app.command()
def meeting(
    ref: RefArgument,
    at: Annotated[
        str | None, typer.Option("--at", help="When it starts (ISO 8601); without it: who.")
    ] = None,
    minutes: Annotated[int, typer.Option(min=15, max=480)] = 60,
    location: Annotated[str, typer.Option(help="A room or a video link.")] = "",
    attendee: Annotated[
        list[str] | None, typer.Option(help="An attendee (repeatable; default: as proposed).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show who the review meeting would invite, or schedule it (--at) and email invitations."""
    remote = Remote(url, token)
    if at is None:
        table = Table("who", "email", "why")
        for person in remote.get(f"{API}/{ref}/meeting/attendees"):
            table.add_row(
                person["name"], person["email"] or "(none: not invited)", "; ".join(person["why"])
            )
        console.print(table)
        return
    body: dict[str, Any] = {
        "starts_at": iso_time(at, "--at"),
        "duration_minutes": minutes,
        "location": location,
    }
    if attendee:
        body["attendees"] = attendee
    scheduled = remote.post(f"{API}/{ref}/meeting", body)
    invited = [p["name"] for p in scheduled["attendees"] if p["email"]]
    console.print(
        f"{ref}: review meeting {when(scheduled['starts_at'])} to {when(scheduled['ends_at'])}; "
        f"invitations to {', '.join(invited) or 'nobody'}",
        highlight=False,
    )


actions = typer.Typer(help="A postmortem's action items.", no_args_is_help=True)
app.add_typer(actions, name="action")


def _print_items(items: list[dict[str, Any]]) -> None:
    table = Table("item", "priority", "type", "status", "owner", "due", "description", "issues")
    for item in items:
        table.add_row(
            item["reference"],
            item["priority"],
            item["type"],
            status_text(item),
            item["owner"] or "",
            due_text(item),
            item["description"],
            "\n".join(_issue(link) for link in item.get("trackers", [])),
        )
    console.print(table)


def _issue(link: dict[str, Any]) -> str:
    """An item's issue in one tracker: its key, or why it has none."""
    shown = link["key"] or ("not created" if link["state"] == "failed" else "being created")
    return f"{link['tracker']}: {shown}" + (f" ({link['error']})" if link["error"] else "")


@actions.command("list")
def list_items(ref: RefArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """List a postmortem's action items."""
    _print_items(Remote(url, token).get(f"{API}/{ref}/action-items"))


@actions.command("add")
def add_item(
    ref: RefArgument,
    description: Annotated[str, typer.Argument(help="What to do.")],
    owner: FieldOption = None,
    priority: PriorityOption = "P2",
    kind: KindOption = "prevent",
    due: DueOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Add an action item to a postmortem."""
    body = {"description": description, "owner": owner, "priority": priority, "type": kind}
    if due is not None:
        body["due_date"] = due
    _print_items([Remote(url, token).post(f"{API}/{ref}/action-items", body)])


@actions.command("set")
def set_item(
    ref: RefArgument,
    item: Annotated[int, typer.Argument(help="The action item's number (AI-7: 7).")],
    status: StatusOption = None,
    reason: ReasonOption = None,
    owner: FieldOption = None,
    priority: FieldOption = None,
    due: DueOption = None,
    description: FieldOption = None,
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
            "due_date": due,
            "description": description,
        }
    )
    _print_items([Remote(url, token).patch(f"{API}/{ref}/action-items/{item}", body)])


def print_flags(flags: list[dict[str, Any]]) -> None:
    if not flags:
        console.print("No sentence reads as blame.", highlight=False)
        return
    for flag in flags:
        console.print(
            f'{flag["field"]}: "{flag["sentence"]}" ({flag["rule"]})', highlight=False, markup=False
        )
        console.print(f"  {flag['explanation']}", highlight=False, markup=False)
        console.print(f"  Instead: {flag['alternative']}", highlight=False, markup=False)
    sentences = len({(flag["field"], flag["sentence"]) for flag in flags})
    console.print(
        f"{sentences} sentence{'s' if sentences != 1 else ''} may read as blame; "
        "a reviewer decides.",
        highlight=False,
    )


@app.command()
def check(
    ref: Annotated[
        str | None, typer.Argument(help="A postmortem to check (PM-3); or give --text.")
    ] = None,
    text: Annotated[
        str | None, typer.Option(help="A text to check instead ('-': read standard input).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The blameless language check: sentences that may read as blame, and what to write."""
    remote = Remote(url, token)
    if (ref is None) == (text is None):
        fail("give a postmortem (PM-3) or --text, not both")
    if text is not None:
        body = sys.stdin.read() if text == "-" else text
        print_flags(remote.post(f"{API}/language", {"text": body}))
        return
    print_flags(remote.get(f"{API}/{ref}/language"))
