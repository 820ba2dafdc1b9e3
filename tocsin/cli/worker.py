"""``tocsin worker``: run only the job engine, to add capacity beside ``serve``."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from tocsin.cli.common import DatabaseUrlOption, DataDirOption, fail
from tocsin.service import Tocsin
from tocsin.settings import Settings


def worker(
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Worker threads.")] = 2,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the job engine without the HTTP server (several may share one PostgreSQL)."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.load(data_dir=data_dir, database_url=database_url)
    try:
        tocsin = Tocsin.open(settings)
    except Exception as exc:
        fail(f"cannot open database {settings.redacted_url()}: {exc}")
    tocsin.engine.threads = threads
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    tocsin.engine.start()
    stop.wait()
    tocsin.close()
