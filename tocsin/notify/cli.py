"""``tocsin outbox``: the messages recorded instead of sent (``TOCSIN_DELIVERY=outbox``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, fail, open_database
from tocsin.notify import outbox
from tocsin.notify.tables import KINDS

app = typer.Typer(
    help="Messages recorded instead of sent (TOCSIN_DELIVERY=outbox, the demo's default).",
    no_args_is_help=True,
)


@app.command("list")
def list_messages(
    user: Annotated[str | None, typer.Option(help="Only messages for this person.")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Only this kind: {', '.join(KINDS)}.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List recorded messages, newest first."""
    if kind is not None and kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    database = open_database(data_dir, database_url)
    table = Table("id", "at (UTC)", "kind", "to", "channel", "address", "subject")
    with database.sessions() as session:
        for each in outbox.listing(session, user=user, kind=kind, limit=limit):
            table.add_row(
                str(each.id),
                f"{each.created_at:%Y-%m-%d %H:%M:%S}",
                each.kind,
                each.user_name or "-",
                each.channel,
                each.address,
                each.subject,
            )
    console.print(table)


@app.command()
def show(
    message_id: Annotated[int, typer.Argument(help="The id `tocsin outbox list` shows.")],
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Show one recorded message in full."""
    database = open_database(data_dir, database_url)
    with database.sessions() as session:
        each = outbox.find(session, message_id)
        if each is None:
            fail(f"message_id: no message {message_id} in the outbox")
        console.print(
            f"Message {each.id} ({each.kind}), recorded {each.created_at.isoformat()}\n"
            f"To:      {each.user_name or '-'} by {each.channel} {each.address}\n"
            f"Subject: {each.subject}\n\n{each.body}",
            highlight=False,
            markup=False,
        )
