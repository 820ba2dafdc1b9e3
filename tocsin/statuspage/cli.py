"""``tocsin status ...``: the status page from a shell, over the HTTP API.

Like ``tocsin incident``, these commands talk to a running Tocsin (``--url``,
``--token``), so they get the same checks, timeline entries and jobs as the
console.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tocsin.cli.common import console, fail, iso_time
from tocsin.cli.remote import DEFAULT_URL, Remote, TokenOption, UrlOption

app = typer.Typer(
    help="The status page: component statuses, public incidents, updates, maintenance.",
    no_args_is_help=True,
)

API = "/api/v1/status-page"
ComponentOption = Annotated[
    list[str] | None,
    typer.Option(
        "--component",
        "-c",
        help="NAME=STATUS of an affected component (repeat), e.g. Checkout=major_outage.",
    ),
]
BodyOption = Annotated[str, typer.Option("--body", "-b", help="What the public reads.")]
QuietOption = Annotated[
    bool, typer.Option("--no-notify", help="Do not tell subscribers about this update.")
]


def _components(values: list[str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        name, sign, status = value.rpartition("=")
        if not sign or not name.strip() or not status.strip():
            fail(f"--component: expected NAME=STATUS like Checkout=major_outage, got {value!r}")
        found[name.strip()] = status.strip()
    return found


def _update(status: str, body: str, component: list[str] | None, no_notify: bool) -> dict[str, Any]:
    """The API body of an update (and of publishing's first one) from the options."""
    return {
        "status": status,
        "body": body,
        "components": _components(component),
        "notify": not no_notify,
    }


def _print_public(public: dict[str, Any]) -> None:
    console.print(
        f"{public['id']}  {public['kind']}  {public['status']}  {public['name']}"
        + (f"  ({public['incident']})" if public.get("incident") else "")
    )
    for update in public["updates"][:1]:
        console.print(f"  latest: {update['status']}: {update['body']}")


@app.command()
def components(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """List components with their public status and what open incidents propose."""
    table = Table("component", "group", "status", "proposed", "because")
    for item in Remote(url, token).get(f"{API}/components"):
        proposal = item["proposal"] or {}
        table.add_row(
            item["name"],
            item["group"],
            item["status"],
            proposal.get("status", ""),
            proposal.get("because", ""),
        )
    console.print(table)


@app.command("set")
def set_status(
    component: Annotated[str, typer.Argument(help="The component's name.")],
    status: Annotated[
        str,
        typer.Argument(
            help="operational, degraded_performance, partial_outage, major_outage "
            "or under_maintenance."
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Set a component's public status."""
    item = Remote(url, token).put(f"{API}/components/{component}", {"status": status})
    console.print(f"{item['name']}: {item['status']}")


@app.command()
def confirm(
    component: Annotated[str, typer.Argument(help="The component's name.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Make what Tocsin proposes for a component its public status."""
    remote = Remote(url, token)
    found = [item for item in remote.get(f"{API}/components") if item["name"] == component]
    if not found:
        fail(f"no status page component named {component!r}")
    proposal = found[0]["proposal"]
    if proposal is None:
        fail(f"nothing is proposed for {component}: it stays {found[0]['status']}")
    item = remote.put(f"{API}/components/{component}", {"status": proposal["status"]})
    console.print(f"{item['name']}: {item['status']} ({proposal['because']})")


@app.command("list")
def list_public(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Public incidents and maintenance, newest first."""
    for public in Remote(url, token).get(f"{API}/incidents"):
        _print_public(public)


@app.command()
def publish(
    ref: Annotated[str, typer.Argument(help="The incident, e.g. INC-42.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The public title.")],
    body: BodyOption,
    status: Annotated[str, typer.Option(help="investigating, identified or monitoring.")] = (
        "investigating"
    ),
    component: ComponentOption = None,
    no_notify: QuietOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Publish an incident on the status page with its first update."""
    update = _update(status, body, component, no_notify)
    public = Remote(url, token).post(f"/api/v1/incidents/{ref}/publish", {"name": name, **update})
    _print_public(public)


@app.command()
def update(
    code: Annotated[str, typer.Argument(help="The public incident's id (tocsin status list).")],
    status: Annotated[
        str,
        typer.Argument(
            help="investigating, identified, monitoring, resolved, postmortem; for maintenance "
            "scheduled, in_progress, verifying, completed."
        ),
    ],
    body: BodyOption,
    component: ComponentOption = None,
    no_notify: QuietOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Post an update on a public incident or maintenance."""
    update = _update(status, body, component, no_notify)
    _print_public(Remote(url, token).post(f"{API}/incidents/{code}/updates", update))


@app.command()
def maintenance(
    name: Annotated[str, typer.Option("--name", "-n", help="The public title.")],
    body: BodyOption,
    start: Annotated[str, typer.Option(help="ISO 8601, e.g. 2026-06-02T22:00:00Z.")],
    end: Annotated[str, typer.Option(help="ISO 8601.")],
    component: Annotated[
        list[str], typer.Option("--component", "-c", help="An affected component (repeat).")
    ],
    manual: Annotated[
        bool, typer.Option("--manual", help="Do not start and complete it on its own.")
    ] = False,
    no_notify: QuietOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Schedule a maintenance."""
    public = Remote(url, token).post(
        f"{API}/maintenances",
        {
            "name": name,
            "body": body,
            "components": component,
            "scheduled_for": iso_time(start, "--start"),
            "scheduled_until": iso_time(end, "--end"),
            "auto_transition": not manual,
            "notify": not no_notify,
        },
    )
    _print_public(public)
