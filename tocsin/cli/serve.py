"""``tocsin serve``: one process for the API, web console, status page and engine."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from tocsin.app import create_app
from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, fail
from tocsin.service import Tocsin
from tocsin.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    demo: Annotated[
        bool, typer.Option(help="Load demo data so there is something to see.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run Tocsin: HTTP API, web console, public status page and the job engine."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.load(data_dir=data_dir, database_url=database_url)
    try:
        tocsin = Tocsin.open(settings)
    except Exception as exc:
        fail(f"cannot open database {settings.redacted_url()}: {exc}")
    if demo:
        from tocsin.demo import load_demo

        for line in load_demo(tocsin):
            console.print(line, highlight=False)
    console.print(
        f"Tocsin on http://{host}:{port}  (database {settings.redacted_url()})", highlight=False
    )
    uvicorn.run(
        create_app(tocsin), host=host, port=port, log_level=log_level.lower(), access_log=False
    )
