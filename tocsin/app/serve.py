"""``tocsin serve``: one process for the API, web console, status page and engine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tocsin.app.listen import address, bind, check_public_url, check_tls
from tocsin.app.process import LogLevel, LogLevelOption, start_process
from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, fail

if TYPE_CHECKING:
    from tocsin.app.service import Tocsin


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
) -> None:
    """Run Tocsin: HTTP API, web console, public status page and the job engine."""
    # Imported here so that other commands start without loading the whole server.
    import uvicorn

    from tocsin.app.web_app import create_app
    from tocsin.inbound.email import start_listener
    from tocsin.notify.settings import OUTBOX

    if demo:  # the demo records messages in its outbox unless told otherwise
        os.environ.setdefault("TOCSIN_DELIVERY", OUTBOX)
    check_tls(tls_cert, tls_key)
    check_public_url(os.environ.get("TOCSIN_PUBLIC_URL"))
    listening = bind(host, port)
    tocsin = start_process(data_dir, database_url, log_level)
    _announce(tocsin, address(host, port, tls=tls_cert is not None), demo=demo)
    app = create_app(tocsin)
    app.state.smtp_domain = smtp_domain  # for the mail addresses the API shows
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level=log_level.value,
            access_log=False,
            ssl_certfile=tls_cert,
            ssl_keyfile=tls_key,
        )
    )
    smtp = None
    if smtp_port:
        smtp = start_listener(
            tocsin,
            host=host,
            port=smtp_port,
            domain=smtp_domain,
            max_bytes=tocsin.settings.max_alert_body_bytes,
        )
        console.print(f"Inbound email on smtp://{host}:{smtp_port}", highlight=False)
    try:
        server.run(sockets=[listening])
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    finally:
        if smtp is not None:
            smtp.stop()
    if not server.started:
        fail("the server did not start; see the log above")


def _announce(tocsin: Tocsin, base_url: str, *, demo: bool) -> None:
    """Load the demo (printing its commands, when asked for), then say where Tocsin serves."""
    from tocsin.app.demo import load_demo

    if demo:
        for line in load_demo(tocsin, base_url=base_url):
            console.print(line, highlight=False, soft_wrap=True)  # commands stay one line
    console.print(
        f"Tocsin on {base_url}  (database {tocsin.settings.redacted_url()})",
        highlight=False,
        soft_wrap=True,
    )
