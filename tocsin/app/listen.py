"""Where ``tocsin serve`` listens: the socket is bound, and TLS files read, before it says so.

A port in use or an unreadable certificate is one clear line and a non-zero
exit, never an announcement of an address that then fails to serve.
"""

from __future__ import annotations

import errno
import socket
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from tocsin.cli.common import fail


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for the server to listen on, or a clear error."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        fail(f"--host: cannot listen on {host!r}: {error.strerror}")
    family, kind, protocol, _, address = found[0]
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            fail(
                f"--port: port {port} on {host} is already in use "
                "(another Tocsin?); choose another with --port (make run PORT=...)"
            )
        fail(f"--port: cannot listen on {host}:{port}: {error.strerror}")
    return sock


def check_tls(certificate: Path | None, key: Path | None) -> None:
    """Fail with the option's name unless the certificate (and key) load."""
    if certificate is None:
        if key is not None:
            fail("--tls-key: needs --tls-cert as well")
        return
    for option, path in (("--tls-cert", certificate), ("--tls-key", key)):
        if path is not None and not path.is_file():
            fail(f"{option}: no such file: {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certificate, key)
    except (ssl.SSLError, OSError) as error:
        fail(
            f"--tls-cert/--tls-key: cannot load the certificate {certificate} "
            f"with the key {key or '(in the same file)'}: {error}"
        )


def check_public_url(value: str | None) -> None:
    """Fail unless ``TOCSIN_PUBLIC_URL`` (when set) is an absolute http(s) URL."""
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(f"TOCSIN_PUBLIC_URL: expected a URL like https://tocsin.example.com, got {value!r}")


def address(host: str, port: int, *, tls: bool) -> str:
    """The base URL announced for ``host:port``."""
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"
