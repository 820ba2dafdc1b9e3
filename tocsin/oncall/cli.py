"""``tocsin oncall ...``: who is on call, shifts, overrides, swaps, handoffs, load, feeds.

Every command talks to a running Tocsin over its HTTP API (``--url`` /
``TOCSIN_URL``, ``--token`` / ``TOCSIN_TOKEN``), like the incident commands:
overrides and swaps are made as the token's user, with the same fairness
checks and audit entries as any other client. Times are ISO 8601; a time
without a zone is taken as UTC. Times are shown in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import console, fail
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption

app = typer.Typer(
    help="On-call schedules: who is on call, shifts, overrides, swaps, handoffs, load, feeds.",
    invoke_without_command=True,
)
override_app = typer.Typer(help="Put someone else on a layer for a while.", no_args_is_help=True)
swap_app = typer.Typer(help="Ask someone to cover part of your shift.", no_args_is_help=True)
feed_app = typer.Typer(help="iCalendar feeds for calendar apps.", no_args_is_help=True)
app.add_typer(override_app, name="override")
app.add_typer(swap_app, name="swap")
app.add_typer(feed_app, name="feed")

SCHEDULES = "/api/v1/schedules"
ScheduleArgument = Annotated[str, typer.Argument(help="The schedule's name.")]
FromOption = Annotated[str | None, typer.Option("--from", help="Start (ISO 8601; UTC if no zone).")]
ToOption = Annotated[str | None, typer.Option("--to", help="End (ISO 8601; UTC if no zone).")]


def _time(value: str | None, option: str) -> str | None:
    """An ISO 8601 time for the API; a time without a zone is taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option}: expected an ISO 8601 time like 2026-01-12T10:00:00Z, got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def _required(value: str | None, option: str) -> str:
    parsed = _time(value, option)
    if parsed is None:
        fail(f"{option} is required")
    return parsed


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@app.callback()
def oncall(
    ctx: typer.Context,
    schedule: Annotated[
        str | None, typer.Option("--schedule", "-s", help="Only this schedule.")
    ] = None,
    at: Annotated[str | None, typer.Option(help="At this time (default: now).")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Who is on call on each layer, with their shift's start and end."""
    if ctx.invoked_subcommand is not None:
        return
    answer = Remote(url, token).get("/api/v1/oncall", schedule=schedule, at=_time(at, "--at"))
    table = Table("schedule", "layer", "on call", "since", "until")
    for each in answer:
        for layer in each["layers"]:
            table.add_row(
                each["schedule"],
                layer["layer"],
                layer["person"] or "(nobody)",
                _when(layer["start"]),
                _when(layer["end"]),
            )
    console.print(table)


@app.command()
def shifts(
    schedule: ScheduleArgument,
    since: FromOption = None,
    until: ToOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List a schedule's shifts (default: the next 7 days)."""
    found = Remote(url, token).get(
        f"{SCHEDULES}/{schedule}/shifts",
        **{"from": _time(since, "--from"), "to": _time(until, "--to")},
    )
    table = Table("layer", "on call", "from", "to", "")
    for shift in found:
        table.add_row(
            shift["layer"],
            shift["person"],
            _when(shift["start"]),
            _when(shift["end"]),
            "override" if shift["override"] else "",
        )
    console.print(table)


# --- overrides -------------------------------------------------------------------


@override_app.command("add")
def override_add(
    schedule: ScheduleArgument,
    layer: Annotated[str, typer.Option(help="The layer, e.g. primary.")],
    user: Annotated[str, typer.Option(help="Who takes the layer.")],
    since: Annotated[str, typer.Option("--from", help="Start (ISO 8601; UTC if no zone).")],
    until: Annotated[str, typer.Option("--to", help="End (ISO 8601; UTC if no zone).")],
    reason: Annotated[str, typer.Option(help="Why, for the audit log.")] = "",
    force: Annotated[
        bool, typer.Option("--force", help="Admins: create it even if it breaks fairness.")
    ] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Put USER on LAYER from --from to --to; refused if it breaks a fairness policy."""
    body = {
        "layer": layer,
        "user": user,
        "start": _required(since, "--from"),
        "end": _required(until, "--to"),
        "reason": reason,
        "force": force,
    }
    made = Remote(url, token).post(f"{SCHEDULES}/{schedule}/overrides", body)
    forced = " (forced past the fairness policies)" if made["forced"] else ""
    console.print(
        f"override {made['id']}: {made['user']} holds {made['layer']} from "
        f"{_when(made['start'])} to {_when(made['end'])}{forced}",
        highlight=False,
    )


@override_app.command("list")
def override_list(
    schedule: ScheduleArgument,
    since: FromOption = None,
    until: ToOption = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List a schedule's overrides made through Tocsin (not those in its configuration)."""
    found = Remote(url, token).get(
        f"{SCHEDULES}/{schedule}/overrides",
        **{"from": _time(since, "--from"), "to": _time(until, "--to")},
    )
    table = Table("id", "layer", "user", "from", "to", "by", "reason")
    for row in found:
        by = f"{row['created_by']} (forced)" if row["forced"] else row["created_by"]
        table.add_row(
            str(row["id"]),
            row["layer"],
            row["user"],
            _when(row["start"]),
            _when(row["end"]),
            by,
            row["reason"],
        )
    console.print(table)


@override_app.command("remove")
def override_remove(
    schedule: ScheduleArgument,
    override_id: Annotated[int, typer.Argument(metavar="ID", help="The override's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Remove an override."""
    Remote(url, token).request("DELETE", f"{SCHEDULES}/{schedule}/overrides/{override_id}")
    console.print(f"override {override_id} removed", highlight=False)


# --- swaps ------------------------------------------------------------------------


def _print_swap(swap: dict[str, Any]) -> None:
    console.print(
        f"swap {swap['id']} ({swap['state']}): {swap['covering']} covers {swap['requester']} "
        f"on {swap['schedule']}/{swap['layer']} from {_when(swap['start'])} "
        f"to {_when(swap['end'])}",
        highlight=False,
    )


@swap_app.command("request")
def swap_request(
    schedule: ScheduleArgument,
    layer: Annotated[str, typer.Option(help="The layer you hold, e.g. primary.")],
    user: Annotated[str, typer.Option("--with", help="Who you ask to cover.")],
    since: Annotated[str, typer.Option("--from", help="Start (ISO 8601; UTC if no zone).")],
    until: Annotated[str, typer.Option("--to", help="End (ISO 8601; UTC if no zone).")],
    message: Annotated[str, typer.Option(help="A word for them.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Ask someone to cover part of your shift."""
    body = {
        "layer": layer,
        "user": user,
        "start": _required(since, "--from"),
        "end": _required(until, "--to"),
        "message": message,
    }
    _print_swap(Remote(url, token).post(f"{SCHEDULES}/{schedule}/swaps", body))


SwapArgument = Annotated[int, typer.Argument(metavar="ID", help="The swap request's id.")]


@swap_app.command("accept")
def swap_accept(
    swap_id: SwapArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Cover the range you were asked about (an override for you, fairness-checked)."""
    _print_swap(Remote(url, token).post(f"/api/v1/swaps/{swap_id}/accept", {}))


@swap_app.command("decline")
def swap_decline(
    swap_id: SwapArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Say no to a swap request."""
    _print_swap(Remote(url, token).post(f"/api/v1/swaps/{swap_id}/decline", {}))


@swap_app.command("cancel")
def swap_cancel(
    swap_id: SwapArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Withdraw a swap request you made."""
    _print_swap(Remote(url, token).post(f"/api/v1/swaps/{swap_id}/cancel", {}))


@swap_app.command("list")
def swap_list(
    state: Annotated[
        str | None, typer.Option(help="requested, accepted, declined or cancelled.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Swap requests you made or were asked."""
    for swap in Remote(url, token).get("/api/v1/swaps", state=state):
        _print_swap(swap)


# --- handoffs, load report ---------------------------------------------------------------


def _print_report(handoff: dict[str, Any]) -> None:
    report = handoff["report"]
    outgoing = handoff["outgoing"] or "(nobody)"
    console.print(
        f"{report['schedule']}/{handoff['layer']} handoff at {_when(handoff['at'])}: "
        f"{outgoing} -> {handoff['incoming']} "
        f"(shift from {_when(handoff['period_start'])})",
        highlight=False,
        markup=False,
    )
    sections = (
        ("incidents during the shift", report["incidents_during_shift"]),
        ("open incidents", report["open_incidents"]),
    )
    for title, incidents in sections:
        console.print(f"  {title}: {len(incidents)}", highlight=False)
        for incident in incidents:
            console.print(
                f"    {incident['reference']} {incident['severity']} {incident['status']}: "
                f"{incident['title']}",
                highlight=False,
                markup=False,
            )
    alerts = report["unresolved_alerts"]
    console.print(f"  unresolved alerts: {len(alerts)}", highlight=False)
    for alert in alerts:
        console.print(
            f"    {alert['service']} {alert['status']}: {alert['summary']}",
            highlight=False,
            markup=False,
        )
    console.print(f"  notes: {len(report['notes'])}", highlight=False)
    for note in report["notes"]:
        console.print(
            f"    {note['author']} ({_when(note['created_at'])}): {note['text']}",
            highlight=False,
            markup=False,
        )


@app.command()
def handoff(
    schedule: ScheduleArgument,
    note: Annotated[
        str | None, typer.Option(help="Leave this note for the next handoff report.")
    ] = None,
    layer: Annotated[
        str | None, typer.Option(help="Only this layer (for --note: default every layer).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show the latest handoff report of each layer, or leave a note with --note."""
    remote = Remote(url, token)
    if note is not None:
        made = remote.post(f"{SCHEDULES}/{schedule}/handoff-notes", {"text": note, "layer": layer})
        where = f"the next {layer} handoff" if layer else "the next handoff"
        console.print(f"note {made['id']} left for {where} on {schedule}", highlight=False)
        return
    found = remote.get(f"{SCHEDULES}/{schedule}/handoffs", layer=layer, limit=50)
    latest: dict[str, dict[str, Any]] = {}
    for each in found:
        latest.setdefault(each["layer"], each)
    if not latest:
        console.print(f"no handoff reports for {schedule} yet", highlight=False)
    for each in latest.values():
        _print_report(each)


@app.command()
def report(
    since: Annotated[str, typer.Option("--from", help="Start (ISO 8601; UTC if no zone).")],
    until: Annotated[str, typer.Option("--to", help="End (ISO 8601; UTC if no zone).")],
    schedule: Annotated[
        str | None, typer.Option("--schedule", "-s", help="Only this schedule.")
    ] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """On-call load per person: hours, hours outside working hours, incidents, pages."""
    params = {
        "from": _required(since, "--from"),
        "to": _required(until, "--to"),
        "schedule": schedule,
        "format": "csv" if csv else "json",
    }
    response = Remote(url, token).request("GET", "/api/v1/oncall/report", params=params)
    if csv:
        typer.echo(response.text, nl=False)
        return
    table = Table(
        "person",
        "hours on call",
        "outside working hours",
        "incidents",
        "pages",
        "pages outside hours",
        "by layer",
    )
    for person in response.json()["people"]:
        layers = ", ".join(
            f"{each['schedule']}/{each['layer']} {each['hours']:g}h" for each in person["layers"]
        )
        table.add_row(
            person["person"],
            f"{person['hours_on_call']:g}",
            f"{person['hours_outside_working_hours']:g}",
            str(person["incidents_handled"]),
            str(person["pages"]),
            str(person["pages_outside_working_hours"]),
            layers,
        )
    console.print(table)


# --- calendar feeds ------------------------------------------------------------------


@feed_app.command("create")
def feed_create(
    schedule: Annotated[
        str | None, typer.Option("--schedule", "-s", help="A feed of this schedule.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="A feed of this person's shifts.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Create a feed; its URL (shown once) is what a calendar app subscribes to."""
    if (schedule is None) == (user is None):
        fail("give either --schedule or --user")
    made = Remote(url, token).post("/api/v1/calendar-feeds", {"schedule": schedule, "user": user})
    console.print(f"feed {made['id']}: subscribe to this URL (shown once):", highlight=False)
    typer.echo(made["url"])


@feed_app.command("list")
def feed_list(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Live feeds you created or that show your shifts."""
    table = Table("id", "of", "token starts", "by", "created")
    for feed in Remote(url, token).get("/api/v1/calendar-feeds"):
        subject = f"schedule {feed['schedule']}" if feed["schedule"] else f"user {feed['user']}"
        table.add_row(
            str(feed["id"]), subject, feed["prefix"], feed["created_by"], _when(feed["created_at"])
        )
    console.print(table)


@feed_app.command("revoke")
def feed_revoke(
    feed_id: Annotated[int, typer.Argument(metavar="ID", help="The feed's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke a feed: its URL stops working."""
    Remote(url, token).request("DELETE", f"/api/v1/calendar-feeds/{feed_id}")
    console.print(f"feed {feed_id} revoked", highlight=False)
