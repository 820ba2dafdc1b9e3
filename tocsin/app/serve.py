"""``tocsin serve``: the API, web console, status page and engine, in one or N processes."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tocsin.app.listen import address, bind, check_public_url, check_tls
from tocsin.app.process import LogLevel, LogLevelOption, start_process
from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, fail, load_settings
from tocsin.console import assets
from tocsin.telemetry.processes import shared

if TYPE_CHECKING:
    from collections.abc import Callable

    from tocsin.app.service import Tocsin
    from tocsin.app.serving import Listening
    from tocsin.kernel.settings import Settings

#: Why SQLite takes one process, as ``tocsin serve --workers`` says it (docs/running.md).
SQLITE_ONE_WORKER = (
    "--workers: SQLite takes one process. Every alert is a write, and SQLite lets one "
    "process write at a time: two processes on one file measured 1,308 alerts/s against "
    "1,331 for one, with p99 latency rising from 24 ms to 645 ms while they wait on the "
    "write lock. To use more cores, run Tocsin on PostgreSQL (TOCSIN_DATABASE_URL="
    "postgresql+psycopg://...) with --workers N; see docs/running.md."
)
MAX_WORKERS = 64


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    demo: Annotated[bool, typer.Option(help="Load demo data to have something to see.")] = False,
    log_level: LogLevelOption = LogLevel.info,
    smtp_port: Annotated[
        int,
        typer.Option(
            envvar="TOCSIN_SMTP_PORT",
            help="Receive alerts by email on this port (0: off).",
            max=65535,
        ),
    ] = 0,
    smtp_domain: Annotated[
        str | None,
        typer.Option(envvar="TOCSIN_SMTP_DOMAIN", help="Accept mail only for <key>@this domain."),
    ] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option(help="Serve HTTPS with this PEM certificate (chain).", show_default=False),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(help="The certificate's PEM private key.", show_default=False),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_WORKERS,
            help="Processes serving on the port (default: one per core on PostgreSQL; "
            "SQLite takes one).",
            show_default=False,
        ),
    ] = None,
    engine_workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=MAX_WORKERS,
            help="How many of the --workers also run the job engine (default: all; "
            "0: only `tocsin worker` processes run jobs).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run Tocsin: HTTP API, web console, public status page and the job engine."""
    from tocsin.app.serving import Listening, serve_http
    from tocsin.notify.settings import OUTBOX

    if demo:  # the demo records messages in its outbox unless told otherwise
        os.environ.setdefault("TOCSIN_DELIVERY", OUTBOX)
    check_tls(tls_cert, tls_key)
    check_public_url(os.environ.get("TOCSIN_PUBLIC_URL"))
    settings = load_settings(data_dir, database_url)
    count = worker_count(settings, workers)
    engines = count if engine_workers is None else engine_workers
    if engines > count:
        fail(f"--engine-workers: at most --workers ({count}), got {engines}")
    listening = Listening(
        bind(host, port), host, log_level, smtp_port, smtp_domain, tls_cert, tls_key
    )
    with _counting_together(settings, count):
        tocsin = start_process(data_dir, database_url, log_level)
        _announce(tocsin, address(host, port, tls=tls_cert is not None), demo=demo, workers=count)
        if count == 1:
            tocsin.runs_engine = engines == 1
            if not serve_http(tocsin, listening):
                fail("the server did not start; see the log above")
            return
        tocsin.close()  # each worker opens its own; no thread may run when they are forked
        _serve_workers(
            count,
            engines,
            listening,
            lambda: start_process(data_dir, database_url, log_level, upgrade=False),
        )


def worker_count(settings: Settings, workers: int | None) -> int:
    """How many processes serve: as asked, else one per core; one on SQLite (or refused)."""
    if settings.is_sqlite:
        if workers is not None and workers > 1:
            fail(SQLITE_ONE_WORKER)
        return 1
    if workers is None:
        cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        return max(1, min(MAX_WORKERS, len(cores) if cores else os.cpu_count() or 1))
    if workers > 1 and not hasattr(os, "fork"):
        fail("--workers: more than one process needs fork(), which this system lacks")
    return workers


def _counting_together(settings: Settings, count: int) -> AbstractContextManager[object]:
    """With several workers, a directory where they all count, so that ``/metrics`` adds them
    up; entered before anything is counted (:mod:`tocsin.telemetry.processes`)."""
    return shared(settings.data_dir) if count > 1 else nullcontext()


def _serve_workers(
    count: int, engines: int, listening: Listening, open_tocsin: Callable[[], Tocsin]
) -> None:
    """Fork ``count`` workers on the socket, the first ``engines`` running the job engine."""
    from tocsin.app.prefork import Supervisor
    from tocsin.app.serving import serve_http

    def body(index: int, started: Callable[[], None]) -> int:
        tocsin = open_tocsin()
        tocsin.runs_engine = index < engines
        return 0 if serve_http(tocsin, listening, singletons=index == 0, started=started) else 1

    if Supervisor(count, body).run():
        fail("the workers kept failing to start; see the log above")


def _announce(tocsin: Tocsin, base_url: str, *, demo: bool, workers: int) -> None:
    """Load the demo (printing its commands, when asked for), then say where Tocsin serves."""
    from tocsin.app.demo import load_demo

    if demo:
        for line in load_demo(tocsin, base_url=base_url):
            console.print(line, highlight=False, soft_wrap=True)  # commands stay one line
    processes = f", {workers} worker processes" if workers > 1 else ""
    console.print(
        f"Tocsin on {base_url}  (database {tocsin.settings.redacted_url()}{processes})",
        highlight=False,
        soft_wrap=True,
    )
    missing = assets.missing()
    if missing:
        console.print(
            f"The console's scripts are not installed ({', '.join(missing)}): pages work as "
            "plain forms without live updates. Run `make setup` (npm ci) to install them.",
            highlight=False,
            soft_wrap=True,
        )
