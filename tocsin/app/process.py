"""Starting a long-running process (``tocsin serve``, ``tocsin worker``): logging and a Tocsin."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tocsin.cli.common import fail, load_settings

if TYPE_CHECKING:
    from tocsin.app.service import Tocsin


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


LogLevelOption = Annotated[LogLevel, typer.Option(help="How much the process logs.")]


def start_process(
    data_dir: Path | None, database_url: str | None, log_level: LogLevel, *, upgrade: bool = True
) -> Tocsin:
    """Set up logging and open a Tocsin for a long-running command, migrated unless told not to.

    ``tocsin serve --workers N`` migrates once in its parent; the workers pass
    ``upgrade=False``.
    """
    # Imported here so that the other commands start without loading the whole server.
    from tocsin.app.service import Tocsin
    from tocsin.notify.settings import NotifySettings

    logging.basicConfig(
        level=log_level.value.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        NotifySettings.from_env()  # a bad delivery setting stops the start, not each delivery
    except ValueError as exc:
        fail(str(exc))
    settings = load_settings(data_dir, database_url)
    try:
        return Tocsin.open(settings, upgrade=upgrade)
    except Exception as exc:
        fail(f"cannot open database {settings.redacted_url()}: {exc}")
