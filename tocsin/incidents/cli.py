"""``tocsin declare``, ``tocsin incident ...`` and ``tocsin classify``, over the HTTP API."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import console, fail, iso_time
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption

app = typer.Typer(
    help="Run incidents: status, roles, notes, checklist, export.", no_args_is_help=True
)

API = "/api/v1/incidents"
RefArgument = Annotated[str, typer.Argument(help="Incident reference, e.g. INC-42 or 42.")]


def _share(value: str, option: str) -> float:
    """A share given as "5%" or "0.05"."""
    text = value.strip()
    try:
        share = float(text.removesuffix("%")) / 100 if text.endswith("%") else float(text)
    except ValueError:
        fail(f"{option}: expected a share like 5% or 0.05, got {value!r}")
    if not 0 <= share <= 1:
        fail(f"{option}: expected a share between 0% and 100%, got {value!r}")
    return share


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _print_incidents(items: list[dict[str, Any]]) -> None:
    table = Table("ref", "severity", "status", "title", "services", "detected", "commander")
    for item in items:
        commander = next(
            (r["user"] for r in item["roles"] if r["role"] == "incident_commander"), ""
        )
        title = f"[drill] {item['title']}" if item["drill"] else item["title"]
        table.add_row(
            item["reference"],
            item["severity"],
            item["status"],
            title,
            ", ".join(item["services"]),
            _when(item["detected_at"]),
            commander,
        )
    console.print(table)


def _print_entries(entries: list[dict[str, Any]]) -> None:
    table = Table("#", "occurred", "kind", "by", "text")
    for entry in entries:
        kind = entry["note_kind"] or entry["kind"].replace("_", " ")
        if entry["corrects"] is not None:
            kind = f"correction of #{entry['corrects']}"
        table.add_row(
            str(entry["sequence"]),
            _when(entry["occurred_at"]),
            kind,
            entry["author"] or "",
            entry["text"],
        )
    console.print(table)


def _print_change(change: dict[str, Any], unchanged: str) -> None:
    incident = change["incident"]
    if not change["entries"]:
        console.print(f"{incident['reference']}: {unchanged}", highlight=False)
    for entry in change["entries"]:
        console.print(
            f"{incident['reference']} #{entry['sequence']}: {entry['text']}", highlight=False
        )


def declare(
    title: Annotated[str, typer.Argument(help="What is wrong, in a few words.")],
    severity: Annotated[
        str, typer.Option("--severity", "-s", help="A configured level, e.g. SEV-2.")
    ],
    summary: Annotated[str, typer.Option(help="What is known so far.")] = "",
    service: Annotated[
        list[str] | None, typer.Option("--service", help="Affected service (repeatable).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable).")] = None,
    drill: Annotated[bool, typer.Option("--drill", help="A drill; excluded from metrics.")] = False,
    reported_by: Annotated[
        str | None,
        typer.Option("--reported-by", help="Declared from a user report, by whom (e.g. a ticket)."),
    ] = None,
    detected_at: Annotated[
        str | None, typer.Option(help="When it was detected (ISO 8601; default now).")
    ] = None,
    impact_started_at: Annotated[
        str | None, typer.Option(help="When the impact began (ISO 8601).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Declare an incident. SEV1 and SEV2 also run the formal declaration path."""
    body: dict[str, Any] = {
        "title": title,
        "severity": severity,
        "summary": summary,
        "services": service or [],
        "tags": tag or [],
        "drill": drill,
        "detected_at": iso_time(detected_at, "--detected-at"),
        "impact_started_at": iso_time(impact_started_at, "--impact-started-at"),
    }
    if reported_by is not None:
        body.update(source="user_report", reported_by=reported_by)
    incident = Remote(url, token).post(API, body)
    console.print(
        f"declared {incident['reference']}: {incident['title']} "
        f"({incident['severity']}, {incident['status']})",
        highlight=False,
    )


@app.command("list")
def list_incidents(
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only these statuses (repeatable).")
    ] = None,
    severity: Annotated[
        list[str] | None, typer.Option("--severity", help="Only these levels (repeatable).")
    ] = None,
    service: Annotated[str | None, typer.Option(help="Only incidents affecting it.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only incidents with this tag.")] = None,
    drill: Annotated[
        bool | None, typer.Option("--drill/--no-drill", help="Only drills, or only real ones.")
    ] = None,
    since: Annotated[str | None, typer.Option("--from", help="Detected at or after.")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Detected before.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    cursor: Annotated[
        str | None, typer.Option(help="Continue after a previous list (the cursor it printed).")
    ] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many (slow when large).")] = 0,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List incidents, newest first; when there are more, print the cursor of the next page."""
    page = Remote(url, token).get(
        API,
        status=status or [],
        severity=severity or [],
        service=service,
        tag=tag,
        drill=None if drill is None else str(drill).lower(),
        **{"from": iso_time(since, "--from"), "to": iso_time(until, "--to")},
        limit=limit,
        cursor=cursor,
        offset=offset,
    )
    _print_incidents(page["items"])
    shown = len(page["items"])
    total = f"{page['total']}" if page["total_exact"] else f"more than {page['total']}"
    console.print(f"{shown} of {total} incidents", highlight=False)
    if page["next_cursor"] is not None:
        console.print(f"more: add --cursor {page['next_cursor']}", highlight=False)


@app.command()
def show(ref: RefArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Show an incident: fields, roles, checklist progress and timeline."""
    remote = Remote(url, token)
    incident = remote.get(f"{API}/{ref}")
    entries = remote.get(f"{API}/{ref}/timeline")
    title = f"[DRILL] {incident['title']}" if incident["drill"] else incident["title"]
    console.print(f"{incident['reference']}: {title}", highlight=False, markup=False)
    facts = Table(show_header=False, box=None)
    facts.add_row("severity", incident["severity"])
    facts.add_row("status", incident["status"])
    facts.add_row("allowed next", ", ".join(incident["allowed_transitions"]) or "none")
    if incident["summary"]:
        facts.add_row("summary", incident["summary"])
    for name in (
        "impact_started_at",
        "detected_at",
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
        "closed_at",
    ):
        if incident[name]:
            facts.add_row(name.removesuffix("_at").replace("_", " "), _when(incident[name]))
    if incident["services"]:
        facts.add_row("services", ", ".join(incident["services"]))
    for name, value in incident["impact"].items():
        if value is not None:
            facts.add_row(name.replace("_", " "), str(value))
    for link in incident["links"]:
        facts.add_row(link["kind"].replace("_", " "), link["url"])
    if incident["tags"]:
        facts.add_row("tags", ", ".join(incident["tags"]))
    for key, value in incident["custom_fields"].items():
        facts.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    for holder in incident["roles"]:
        facts.add_row(holder["role"].replace("_", " "), holder["user"])
    progress = incident["checklist"]
    facts.add_row("checklist", f"{progress['done']}/{progress['total']} done")
    console.print(facts)
    _print_entries(entries)


@app.command()
def status(
    ref: RefArgument,
    new_status: Annotated[
        str, typer.Argument(metavar="STATUS", help="responding, mitigated, resolved or closed.")
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", help="Why (some moves need it).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Move an incident to another status."""
    change = Remote(url, token).post(
        f"{API}/{ref}/status", {"status": new_status, "reason": reason}
    )
    _print_change(change, "unchanged")


@app.command()
def severity(
    ref: RefArgument,
    level: Annotated[str, typer.Argument(help="The new level, e.g. SEV-1.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it changes.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Raise or lower an incident's severity."""
    change = Remote(url, token).post(f"{API}/{ref}/severity", {"severity": level, "reason": reason})
    _print_change(change, "unchanged")


@app.command()
def assign(
    ref: RefArgument,
    role: Annotated[
        str,
        typer.Argument(
            help="incident_commander, communications_lead, operations_lead, scribe, "
            "responder or subject_matter_expert."
        ),
    ],
    user: Annotated[str, typer.Argument(help="Who takes it.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Give a role to someone (a lead role is handed over from its holder)."""
    change = Remote(url, token).post(f"{API}/{ref}/roles", {"role": role, "user": user})
    _print_change(change, f"{user} already holds {role}")


@app.command()
def unassign(
    ref: RefArgument,
    role: Annotated[str, typer.Argument(help="The role to take away.")],
    user: Annotated[
        str | None, typer.Option(help="Whose (required for responders and experts).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Take a role from its holder."""
    change = Remote(url, token).delete(f"{API}/{ref}/roles/{role}", user=user)
    _print_change(change, "unchanged")


@app.command()
def note(
    ref: RefArgument,
    text: Annotated[str, typer.Argument(help="What happened, was decided or was done.")],
    kind: Annotated[str, typer.Option(help="observation, decision or action.")] = "observation",
    at: Annotated[
        str | None, typer.Option("--at", help="When it happened, if earlier (ISO 8601).")
    ] = None,
    corrects: Annotated[
        int | None, typer.Option(help="The number of the timeline entry this corrects.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Add a note or a correction to the timeline."""
    body = {"text": text, "kind": kind, "occurred_at": iso_time(at, "--at"), "corrects": corrects}
    entry = Remote(url, token).post(f"{API}/{ref}/notes", body)
    console.print(f"#{entry['sequence']} {entry['kind']}: {entry['text']}", highlight=False)


@app.command()
def checklist(
    ref: RefArgument,
    tick: Annotated[
        list[str] | None, typer.Option("--tick", help="Mark this item done (repeatable).")
    ] = None,
    untick: Annotated[
        list[str] | None, typer.Option("--untick", help="Mark this item not done (repeatable).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show the response checklist and role duties; tick or untick items by key."""
    remote = Remote(url, token)
    changes = [(key, True) for key in tick or []] + [(key, False) for key in untick or []]
    current = remote.get(f"{API}/{ref}/checklist")
    for key, done in changes:
        current = remote.post(f"{API}/{ref}/checklist", {"key": key, "done": done})
    table = Table("", "key", "item", "done by")
    section = None
    for item in current["items"]:
        if item["section"] != section:
            section = item["section"]
            table.add_section()
            table.add_row("", f"[bold]{section}[/bold]", "", "")
        table.add_row(
            "x" if item["done"] else " ", item["key"], item["text"], item["done_by"] or ""
        )
    for duties in current["duties"]:
        table.add_section()
        table.add_row("", f"[bold]{duties['user']}'s duties[/bold]", "", "")
        for item in duties["items"]:
            done_by = item["done_by"] or ""
            table.add_row("x" if item["done"] else " ", item["key"], item["text"], done_by)
    console.print(table)
    progress = current["progress"]
    console.print(f"{progress['done']}/{progress['total']} done", highlight=False)


@app.command()
def timeline(
    ref: RefArgument,
    order: Annotated[str, typer.Option(help="recorded or occurred.")] = "recorded",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show an incident's timeline."""
    _print_entries(Remote(url, token).get(f"{API}/{ref}/timeline", order=order))


@app.command()
def export(
    ref: RefArgument,
    format: Annotated[str, typer.Option("--format", "-f", help="markdown or json.")] = "markdown",
    order: Annotated[str, typer.Option(help="recorded or occurred.")] = "recorded",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default stdout).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Export an incident and its timeline as Markdown or JSON."""
    response = Remote(url, token).request(
        "GET", f"{API}/{ref}/export", params={"format": format, "order": order}
    )
    if output is None:
        sys.stdout.write(response.text)
        return
    output.write_text(response.text, encoding="utf-8")
    console.print(f"wrote {output}", highlight=False)


def _pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            fail(f"{option}: expected KEY=VALUE, got {value!r}")
        pairs.append((key.strip(), rest))
    return pairs


@app.command()
def update(
    ref: RefArgument,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    summary: Annotated[str | None, typer.Option(help="New summary.")] = None,
    impact_started_at: Annotated[
        str | None, typer.Option(help="When the impact began (ISO 8601).")
    ] = None,
    service: Annotated[
        list[str] | None, typer.Option("--service", help="Affected services (replaces the list).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tags (replaces the list).")
    ] = None,
    users_affected: Annotated[int | None, typer.Option(min=0)] = None,
    revenue_impact: Annotated[str | None, typer.Option(help='e.g. "$45,000".')] = None,
    error_budget_consumed: Annotated[str | None, typer.Option(help='e.g. "35%".')] = None,
    link: Annotated[
        list[str] | None,
        typer.Option(
            "--link",
            help="KIND=URL, kind dashboard, ticket, war_room, runbook or other "
            "(replaces the list; repeatable).",
        ),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--field", help="Custom field KEY=JSON-or-text (repeatable; KEY= removes)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Change an incident's fields; each change goes on the timeline."""
    body: dict[str, Any] = {}
    if title is not None:
        body["title"] = title
    if summary is not None:
        body["summary"] = summary
    if impact_started_at is not None:
        body["impact_started_at"] = iso_time(impact_started_at, "--impact-started-at")
    if service is not None:
        body["services"] = service
    if tag is not None:
        body["tags"] = tag
    impact = {
        name: value
        for name, value in (
            ("users_affected", users_affected),
            ("revenue_impact", revenue_impact),
            ("error_budget_consumed", error_budget_consumed),
        )
        if value is not None
    }
    if impact:
        body["impact"] = impact
    if link is not None:
        body["links"] = [{"kind": kind, "url": target} for kind, target in _pairs(link, "--link")]
    if field is not None:
        body["custom_fields"] = {key: _field_value(raw) for key, raw in _pairs(field, "--field")}
    if not body:
        fail("nothing to change: give at least one option (see --help)")
    change = Remote(url, token).patch(f"{API}/{ref}", body)
    _print_change(change, "nothing changed")


def _field_value(raw: str) -> Any:
    """JSON when it parses (numbers, true, false), text otherwise; empty removes the field."""
    if raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@app.command()
def severities(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """List the configured severity levels."""
    levels = Remote(url, token).get("/api/v1/severities")
    table = Table("level", "name", "description", "respond within", "updates", "escalation")
    for level in levels:
        table.add_row(
            level["level"],
            level["name"],
            level["description"],
            level["response_time"],
            level["communication"],
            level["escalation"],
        )
    console.print(table)


def classify(
    users: Annotated[
        str, typer.Option("--users", help="Share of users affected, e.g. 5% or 0.05.")
    ] = "0",
    revenue: Annotated[
        str | None,
        typer.Option("--revenue", help="Share of revenue the affected users generate."),
    ] = None,
    function: Annotated[
        list[str] | None,
        typer.Option("--function", help="Affected business function, e.g. payments (repeatable)."),
    ] = None,
    outage: Annotated[bool, typer.Option("--outage", help="A complete outage.")] = False,
    workaround: Annotated[
        bool | None,
        typer.Option(
            "--workaround/--no-workaround", help="Whether an effective workaround exists."
        ),
    ] = None,
    uncertain: Annotated[bool, typer.Option("--uncertain", help="You are not sure.")] = False,
    confidence: Annotated[
        str | None, typer.Option(help="How sure you are, e.g. 60% (instead of --uncertain).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Suggest a severity level for an impact, with the reasons."""
    if uncertain and confidence is not None:
        fail("give either --uncertain or --confidence, not both")
    certainty: str | float = "uncertain" if uncertain else "certain"
    if confidence is not None:
        certainty = _share(confidence, "--confidence")
    body = {
        "users_affected": _share(users, "--users"),
        "revenue_share": _share(revenue, "--revenue") if revenue is not None else None,
        "business_functions": function or [],
        "complete_outage": outage,
        "workaround": workaround,
        "certainty": certainty,
    }
    result = Remote(url, token).post("/api/v1/classify", body)
    console.print(f"suggested level: {result['level']}", highlight=False)
    for reason in result["reasons"]:
        console.print(f"  - {reason}", highlight=False)
