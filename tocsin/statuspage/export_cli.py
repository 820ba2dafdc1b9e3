"""``tocsin status export``: the static copy of the public status pages, from the database.

Unlike the other ``tocsin status`` commands (:mod:`tocsin.statuspage.cli`), which talk
to a running Tocsin, it reads the database itself, as ``tocsin jobs`` does: it is
meant for the times Tocsin is not serving.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tocsin.cli.common import (
    DatabaseUrlOption,
    DataDirOption,
    console,
    fail,
    load_settings,
    open_database,
)
from tocsin.kernel.file_clock import clock_for
from tocsin.kernel.settings import StatusExportSettings
from tocsin.statuspage import export as static_export
from tocsin.statuspage.export_push import PushFailed


def export_pages(
    directory: Annotated[
        Path, typer.Argument(help="Where to write: a link to the latest version is kept there.")
    ],
    push: Annotated[
        bool,
        typer.Option(
            "--push/--no-push",
            help="Then run TOCSIN_STATUS_EXPORT_COMMAND, copy to TOCSIN_STATUS_EXPORT_S3_BUCKET.",
        ),
    ] = False,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Write every public status page to DIRECTORY as static files, all at once.

    The same files the server writes to TOCSIN_STATUS_EXPORT_DIR after each
    change: pages, history, incidents, /api/v2 JSON, feeds and assets.
    Private pages are not exported.
    """
    try:
        configured = StatusExportSettings.from_env()
    except ValueError as error:
        fail(str(error))
    if not push:
        configured = StatusExportSettings(public_url=configured.public_url)
    # The time the pages are drawn at: the server's clock (a scenario's shared clock too).
    now = clock_for(load_settings(data_dir, database_url).clock_file).now()
    database = open_database(data_dir, database_url)
    try:
        outcome = static_export.export(database, now, directory, configured)
    except (static_export.ExportRefused, PushFailed, OSError) as error:
        fail(str(error))
    finally:
        database.dispose()
    state = "written" if outcome.written.changed else "unchanged"
    pushed = ", pushed" if outcome.pushed else ""
    console.print(f"{directory}: {outcome.files} files, {state}{pushed}", highlight=False)
