"""``tocsin db``: schema migrations."""

from __future__ import annotations

import typer

from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, open_database
from tocsin.db import migrate

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Apply every pending migration."""
    database = open_database(data_dir, database_url)
    console.print(
        f"schema at revision {', '.join(sorted(migrate.current_revisions(database.engine)))}"
    )


@app.command()
def current(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """Show the schema revision and the newest one this version knows."""
    database = open_database(data_dir, database_url, upgrade=False)
    current = ", ".join(sorted(migrate.current_revisions(database.engine))) or "none"
    newest = ", ".join(sorted(migrate.head_revisions(database.engine)))
    console.print(f"current {current}, newest {newest}", highlight=False)
