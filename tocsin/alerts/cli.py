"""``tocsin report``, ``tocsin alert ...``, ``tocsin integration ...`` and ``tocsin silence ...``.

All of them talk to a running Tocsin over its API (``--url`` / ``TOCSIN_URL``,
``--token`` / ``TOCSIN_TOKEN``), so they get the same checks and history as
any other client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.alerts.config_schema import INTEGRATION_TYPES, duration
from tocsin.cli.common import console, fail
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption

alerts = typer.Typer(help="List, acknowledge and resolve alerts.", no_args_is_help=True)
integrations = typer.Typer(
    help="Create integrations and create, rotate and revoke their keys.", no_args_is_help=True
)
silences = typer.Typer(help="Silence alerts by label matchers.", no_args_is_help=True)


def _remote(url: str | None, token: str | None) -> Remote:
    return Remote(url or DEFAULT_URL, token)


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- report -------------------------------------------------------------------------


def report(
    text: Annotated[str, typer.Argument(help='What is wrong, e.g. "checkout fails for EU users".')],
    service: Annotated[str | None, typer.Option(help="The affected service, if known.")] = None,
    details: Annotated[str, typer.Option(help="More context for the responder.")] = "",
    severity: Annotated[
        str, typer.Option(help="Alert severity: critical, error, warning or info.")
    ] = "error",
    declare: Annotated[
        str | None,
        typer.Option(help="Declare an incident at this severity (e.g. SEV-2) instead."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Report a problem you see: it becomes an alert (or, with --declare, an incident)."""
    body: dict[str, Any] = {"text": text, "details": details, "severity": severity}
    if service:
        body["service"] = service
    if declare:
        body["declare"] = declare
    done = _remote(url, token).post("/api/v1/reports", body)
    if done["incident_reference"]:
        console.print(f"Declared {done['incident_reference']}", highlight=False)
    else:
        console.print(
            f"Reported as alert {done['alert_id']} (group {done['group_id']})", highlight=False
        )


# --- alerts -------------------------------------------------------------------------


def _print_alerts(items: list[dict[str, Any]]) -> None:
    table = Table("id", "status", "severity", "service", "summary", "seen", "last", "incident")
    for item in items:
        summary = item["summary"] + (" [flapping]" if item["flapping"] else "")
        table.add_row(
            str(item["id"]),
            item["status"],
            item["severity"],
            item["service"],
            summary,
            str(item["occurrences"]),
            _when(item["last_event_at"]),
            item["incident_reference"] or "",
        )
    console.print(table)


@alerts.command("list")
def list_alerts(
    status: Annotated[
        str | None, typer.Option(help="open, triggered, acknowledged or resolved.")
    ] = None,
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    cursor: Annotated[
        str | None, typer.Option(help="Start after this point (printed under the last page).")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List alerts, newest first, one page at a time."""
    page = _remote(url, token).get(
        "/api/v1/alerts", status=status, service=service, limit=limit, cursor=cursor
    )
    _print_alerts(page["items"])
    total = f"{page['total']:,}" + ("" if page["total_exact"] else "+")
    console.print(f"{len(page['items'])} of {total}", highlight=False)
    if page["next_cursor"]:
        console.print(f"More: --cursor {page['next_cursor']}", highlight=False)


@alerts.command("show")
def show_alert(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """One alert with its runbook and history."""
    alert = _remote(url, token).get(f"/api/v1/alerts/{alert_id}")
    _print_alerts([alert])
    if alert["runbook_url"]:
        console.print(f"Runbook: {alert['runbook_url']}", highlight=False)
    table = Table("at", "event", "by", "text")
    for event in alert["events"]:
        table.add_row(_when(event["at"]), event["kind"], event["actor"], event["text"])
    console.print(table)


def _act(alert_id: int, action: str, note: str | None, url: str, token: str | None) -> None:
    alert = _remote(url, token).post(f"/api/v1/alerts/{alert_id}/{action}", {"note": note})
    console.print(f"Alert {alert['id']} is {alert['status']}", highlight=False)


@alerts.command("ack")
def acknowledge(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    note: Annotated[str | None, typer.Option(help="Why, for the history.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Acknowledge an alert."""
    _act(alert_id, "acknowledge", note, url, token)


@alerts.command("resolve")
def resolve(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    note: Annotated[str | None, typer.Option(help="Why, for the history.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Resolve an alert."""
    _act(alert_id, "resolve", note, url, token)


# --- integrations -------------------------------------------------------------------


def _print_key(answer: dict[str, Any]) -> None:
    integration = answer["integration"]
    console.print(
        f"Integration {integration['name']} ({integration['type']}) for service "
        f"{integration['service']}",
        highlight=False,
    )
    console.print(f"Key (shown once): {answer['key']}", highlight=False)
    console.print(f"Send to: {answer['endpoint']}", highlight=False)


@integrations.command("create")
def create_integration(
    name: Annotated[str, typer.Argument(help="A name for the integration.")],
    service: Annotated[str, typer.Option(help="The service its alerts belong to.")],
    type_: Annotated[str, typer.Option("--type", help=f"One of: {', '.join(INTEGRATION_TYPES)}.")],
    description: Annotated[str, typer.Option()] = "",
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per minute the key may send.", min=1)
    ] = None,
    interval: Annotated[
        str | None, typer.Option(help='Heartbeats: expected ping interval, e.g. "5m".')
    ] = None,
    grace: Annotated[str, typer.Option(help="Heartbeats: extra time before alerting.")] = "1m",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Create an integration and print its key (once)."""
    if type_ not in INTEGRATION_TYPES:
        fail(f"--type: expected one of {', '.join(INTEGRATION_TYPES)}, got {type_!r}")
    body: dict[str, Any] = {
        "name": name,
        "service": service,
        "type": type_,
        "description": description,
    }
    if rate_limit is not None:
        body["rate_limit_per_minute"] = rate_limit
    if type_ == "heartbeat":
        if interval is None:
            fail("--interval: a heartbeat integration needs its expected ping interval")
        try:
            body["heartbeat"] = {
                "interval": int(duration(interval).total_seconds()),
                "grace": int(duration(grace).total_seconds()),
            }
        except ValueError as error:
            fail(f"--interval/--grace: {error}")
    if type_ == "webhook":
        fail("webhook integrations need a mapping: define them in configuration files")
    _print_key(_remote(url, token).post("/api/v1/integrations", body))


@integrations.command("list")
def list_integrations(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """List integrations and their keys (last four characters only)."""
    items = _remote(url, token).get("/api/v1/integrations")
    table = Table("name", "type", "service", "keys", "managed by")
    for item in items:
        live = [f"…{key['hint']}" for key in item["keys"] if key["revoked_at"] is None]
        if item["key_env"]:
            live.append(f"${item['key_env']}")
        table.add_row(
            item["name"],
            item["type"],
            item["service"],
            ", ".join(live) or "(none: rotate to make one)",
            item["managed_by"] or "API",
        )
    console.print(table)


@integrations.command("rotate")
def rotate_integration(
    name: Annotated[str, typer.Argument(help="The integration.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke the integration's keys and print a new one (once)."""
    _print_key(_remote(url, token).post(f"/api/v1/integrations/{name}/rotate", {}))


@integrations.command("revoke")
def revoke_integration(
    name: Annotated[str, typer.Argument(help="The integration.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke every generated key of the integration."""
    done = _remote(url, token).post(f"/api/v1/integrations/{name}/revoke", {})
    console.print(f"Revoked {done['revoked']} key(s) of {done['integration']}", highlight=False)


# --- silences -----------------------------------------------------------------------


def _print_silences(items: list[dict[str, Any]]) -> None:
    table = Table("id", "matchers", "starts", "ends", "by", "comment", "active")
    for item in items:
        table.add_row(
            str(item["id"]),
            ", ".join(item["matchers"]),
            _when(item["starts_at"]),
            _when(item["ends_at"]),
            item["created_by"],
            item["comment"],
            "yes" if item["active"] else "no",
        )
    console.print(table)


@silences.command("create")
def create_silence(
    matcher: Annotated[
        list[str],
        typer.Option(help='A label matcher like alertname="DiskFull"; repeat for more.'),
    ],
    comment: Annotated[str, typer.Option(help="Why alerts are silenced.")],
    duration_: Annotated[
        str | None, typer.Option("--duration", help='How long from now, e.g. "2h".')
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="End as ISO 8601, e.g. 2026-03-01T04:00:00Z.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Silence matching alerts: they are kept on record but do not page."""
    if (duration_ is None) == (until is None):
        fail("give exactly one of --duration or --until")
    if duration_ is not None:
        try:
            ends = datetime.now(UTC) + duration(duration_)
        except ValueError as error:
            fail(f"--duration: {error}")
    else:
        try:
            ends = datetime.fromisoformat(str(until).replace("Z", "+00:00"))
        except ValueError:
            fail(f"--until: expected an ISO 8601 time like 2026-03-01T04:00:00Z, got {until!r}")
        if ends.tzinfo is None:
            ends = ends.replace(tzinfo=UTC)
    body = {"matchers": matcher, "ends_at": ends.isoformat(), "comment": comment}
    _print_silences([_remote(url, token).post("/api/v1/silences", body)])


@silences.command("list")
def list_silences(
    all_: Annotated[bool, typer.Option("--all", help="Include ended silences.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """List silences in force (or all of them)."""
    _print_silences(_remote(url, token).get("/api/v1/silences", include_expired=all_))


@silences.command("expire")
def expire_silence(
    silence_id: Annotated[int, typer.Argument(help="The silence's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """End a silence now; held-back groups that are still open page."""
    _print_silences([_remote(url, token).post(f"/api/v1/silences/{silence_id}/expire", {})])
