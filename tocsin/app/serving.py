"""One ``tocsin serve`` process serving HTTP on a socket it was given (bound by the caller).

``tocsin serve`` runs this once in its own process, or once in each worker of
:mod:`tocsin.app.prefork`. The parts that must exist once per Tocsin, not once
per process (the SMTP listener on its port, the outbound heartbeat), run where
``singletons`` is true: worker 0.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from tocsin.app.process import LogLevel
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.cli.common import console
from tocsin.inbound.email import start_listener


@dataclass(frozen=True)
class Listening:
    """What every serving process shares: the socket and the options that go with it."""

    socket: socket.socket
    host: str
    log_level: LogLevel
    smtp_port: int
    smtp_domain: str | None
    tls_cert: Path | None
    tls_key: Path | None


class _Server(uvicorn.Server):
    """A uvicorn server that says when it has started serving."""

    def __init__(self, config: uvicorn.Config, started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started()


def serve_http(
    tocsin: Tocsin,
    listening: Listening,
    *,
    singletons: bool = True,
    started: Callable[[], None] | None = None,
) -> bool:
    """Serve until told to stop (SIGTERM, SIGINT); whether the server had started.

    The app owns ``tocsin`` (its lifespan starts the engine when
    ``tocsin.runs_engine``, and closes it). ``started`` is called once the
    server accepts connections.
    """
    if not singletons:
        tocsin.heartbeat = None  # worker 0 pings; N processes need not ping N times
    app = create_app(tocsin)
    app.state.smtp_domain = listening.smtp_domain  # for the mail addresses the API shows
    server = _Server(
        uvicorn.Config(
            app,
            log_level=listening.log_level.value,
            access_log=False,
            ssl_certfile=listening.tls_cert,
            ssl_keyfile=listening.tls_key,
        ),
        started,
    )
    smtp = None
    if singletons and listening.smtp_port:
        smtp = start_listener(
            tocsin,
            host=listening.host,
            port=listening.smtp_port,
            domain=listening.smtp_domain,
            max_bytes=tocsin.settings.max_alert_body_bytes,
        )
        console.print(
            f"Inbound email on smtp://{listening.host}:{listening.smtp_port}", highlight=False
        )
    try:
        server.run(sockets=[listening.socket])
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    finally:
        if smtp is not None:
            smtp.stop()
    return server.started
