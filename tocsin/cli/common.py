"""Options and helpers shared by every command that touches the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from tocsin.kernel.settings import Settings

if TYPE_CHECKING:
    from tocsin.db.database import Database

console = Console()
errors = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="TOCSIN_DATA_DIR",
        help="Directory for the embedded SQLite database and other state.",
        show_default=False,
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="TOCSIN_DATABASE_URL",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://host/db (default: SQLite in the data dir).",
        show_default=False,
    ),
]


def iso_time(value: str | None, option: str) -> str | None:
    """An ISO 8601 time for the API; a time without a zone is taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option}: expected an ISO 8601 time like 2026-02-15T14:02:00Z, got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a clear error for a person and exit."""
    errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def load_settings(data_dir: Path | None, database_url: str | None) -> Settings:
    """The process's settings; a bad value is an error naming its variable."""
    try:
        return Settings.load(data_dir=data_dir, database_url=database_url)
    except ValueError as exc:
        fail(str(exc))


def open_database(
    data_dir: Path | None, database_url: str | None, *, upgrade: bool = True
) -> Database:
    """Open the configured database and (unless told not to) bring its schema up to date."""
    from tocsin.db import migrate
    from tocsin.db.database import Database

    settings = load_settings(data_dir, database_url)
    database = Database(settings)
    try:
        if upgrade:
            migrate.upgrade(database.engine)
        else:
            migrate.current_revisions(database.engine)
    except Exception as exc:  # a person needs the reason, not a traceback
        fail(f"cannot open database {settings.redacted_url()}: {exc}")
    return database
