"""``tocsin worker``: run only the job engine, to add capacity beside ``serve``."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from tocsin.app.process import LogLevel, LogLevelOption, start_process
from tocsin.cli.common import (
    DatabaseUrlOption,
    DataDirOption,
)


def worker(
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Worker threads.")] = 2,
    log_level: LogLevelOption = LogLevel.info,
) -> None:
    """Run the job engine without the HTTP server (several may share one PostgreSQL)."""
    tocsin = start_process(data_dir, database_url, log_level)
    tocsin.engine.threads = threads
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    tocsin.start()
    stop.wait()
    tocsin.close()
