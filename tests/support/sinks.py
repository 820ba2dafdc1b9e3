"""Real receivers on 127.0.0.1 for delivery tests: an SMTP server and an HTTP sink.

Both record what arrived so tests can assert exactly which messages reached
which address, and that nothing else did.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.processes import free_port


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        return payload.decode() if isinstance(payload, bytes) else str(payload)


class _Inbox:
    def __init__(self) -> None:
        self.emails: list[Email] = []
        #: Addresses whose mail is answered with the given reply ("550 ...") and not kept.
        self.refuse: dict[str, str] = {}
        #: The client's (host, port) for every mail kept: one port per connection.
        self.peers: list[object] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        with self.lock:
            for address in envelope.rcpt_tos:
                if address in self.refuse:
                    return self.refuse[address]
            self.emails.append(Email(tuple(envelope.rcpt_tos), message_from_bytes(content)))
            self.peers.append(session.peer)
        return "250 Message accepted"


@dataclass
class SmtpSink:
    host: str
    port: int
    inbox: _Inbox

    @property
    def emails(self) -> list[Email]:
        with self.inbox.lock:
            return list(self.inbox.emails)

    def to(self, address: str) -> list[Email]:
        return [email for email in self.emails if address in email.to]

    def refuse(self, address: str, reply: str) -> None:
        """Answer mail to ``address`` with ``reply`` (an SMTP reply line) from now on."""
        with self.inbox.lock:
            self.inbox.refuse[address] = reply

    def accept(self, address: str) -> None:
        with self.inbox.lock:
            self.inbox.refuse.pop(address, None)

    @property
    def connections(self) -> int:
        """How many connections the kept mails came over."""
        with self.inbox.lock:
            return len(set(self.inbox.peers))


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSink("127.0.0.1", port, inbox)
    finally:
        controller.stop()


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpSink:
    """Records every POST; answers ``fail_status`` for paths listed in ``failing``."""

    port: int
    requests: list[Request] = field(default_factory=list)
    failing: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]


@contextmanager
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = sink.failing.get(self.path)
            if status is None:
                with sink.lock:
                    sink.requests.append(Request(self.path, dict(self.headers.items()), body))
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"failed")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", sink.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


def handoff(item: Request | Email) -> bool:
    """Whether a received message is a handoff report (sent at each handoff), not a page."""
    if isinstance(item, Email):
        return item.subject.startswith("[Tocsin] Handoff")
    return bool(item.json().get("event") == "handoff")
