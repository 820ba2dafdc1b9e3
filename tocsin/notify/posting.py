"""Outgoing JSON POSTs over kept-alive connections, a few per receiver.

In a storm, deliveries post to the same few receivers (webhooks, chat
incoming webhooks) many times a second. A new connection per message (TCP,
and TLS for https) and a general-purpose client's per-request work cost
more than the request itself, so this module keeps idle connections per
origin (scheme, host, port) and reuses them:

- before reuse, a connection the receiver closed meanwhile (it is readable:
  end of file) is dropped, and so is one idle for longer than
  :data:`MAX_IDLE_SECONDS` (middleboxes forget quiet connections silently);
- a request on a reused connection that fails before any answer arrived
  (the receiver closed it just as it was reused) is sent once more on a
  fresh connection; receivers deduplicate by the delivery id in any case;
- an answer that closes the connection (HTTP/1.0, ``Connection: close``)
  is read and the connection dropped.

A URL with ``user:password@`` is posted with HTTP Basic authentication
(:func:`basic_auth`); the credentials are sent in that header only.

TLS is verified with the same trust store httpx would use
(``httpx.create_ssl_context()``: certifi, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR``). When the environment configures a proxy for a URL
(``HTTPS_PROXY``, ``NO_PROXY``...), that request goes through httpx, which
honours it.
"""

from __future__ import annotations

import base64
import http.client
import select
import socket
import ssl
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

import httpx

#: Idle connections kept per origin.
MAX_IDLE_PER_ORIGIN = 8
#: A connection idle this long is not reused.
MAX_IDLE_SECONDS = 30.0
#: How long the proxy settings read from the environment are trusted.
PROXY_SETTINGS_SECONDS = 10.0

Origin = tuple[str, str, int]


class PostError(Exception):
    """The receiver could not be reached, or the connection failed before a full answer."""


class _Stale(Exception):
    """A reused connection failed before any answer arrived: the receiver had closed it."""


@dataclass
class _Idle:
    connection: http.client.HTTPConnection
    since: float


class ConnectionPool:
    """Idle connections by origin; each connection is used by one thread at a time."""

    def __init__(self) -> None:
        self._idle: dict[Origin, list[_Idle]] = defaultdict(list)
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._fallback: httpx.Client | None = None

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        """POST ``body`` to ``url``; returns the HTTP status. Raises :class:`PostError`."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise PostError("not an http or https URL")
        headers = {**headers, **basic_auth(parts)}
        if _proxied(scheme, parts.hostname):
            bare = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
            return self._post_through_proxy(bare, body, headers, timeout)
        origin = (scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            kept = self._take(origin, timeout)
            if kept is not None:
                try:
                    return self._exchange(origin, kept, target, body, headers, reused=True)
                except _Stale:
                    pass
            fresh = self._connect(origin, timeout)
            return self._exchange(origin, fresh, target, body, headers, reused=False)
        except (OSError, http.client.HTTPException) as error:
            raise PostError(type(error).__name__) from None

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle = [each for kept in self._idle.values() for each in kept]
            self._idle.clear()
        for each in idle:
            each.connection.close()

    def _exchange(
        self,
        origin: Origin,
        connection: http.client.HTTPConnection,
        target: str,
        body: bytes,
        headers: dict[str, str],
        *,
        reused: bool,
    ) -> int:
        answered = False
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            answered = True
            response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if reused and not answered:
                raise _Stale from None
            raise
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._give_back(origin, connection)
        return response.status

    def _connect(self, origin: Origin, timeout: float) -> http.client.HTTPConnection:
        scheme, host, port = origin
        if scheme == "https":
            if self._tls is None:
                self._tls = httpx.create_ssl_context()
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls)
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _take(self, origin: Origin, timeout: float) -> http.client.HTTPConnection | None:
        now = time.monotonic()
        while True:
            with self._lock:
                kept = self._idle.get(origin)
                if not kept:
                    return None
                idle = kept.pop()
            sock = idle.connection.sock
            if now - idle.since <= MAX_IDLE_SECONDS and sock is not None and not _readable(sock):
                idle.connection.timeout = timeout
                sock.settimeout(timeout)
                return idle.connection
            idle.connection.close()

    def _give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            kept = self._idle[origin]
            if len(kept) < MAX_IDLE_PER_ORIGIN:
                kept.append(_Idle(connection, time.monotonic()))
                return
        connection.close()

    def _post_through_proxy(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> int:
        with self._lock:
            if self._fallback is None:
                self._fallback = httpx.Client()
            client = self._fallback
        try:
            return client.post(url, content=body, headers=headers, timeout=timeout).status_code
        except httpx.HTTPError as error:
            raise PostError(type(error).__name__) from None


def basic_auth(parts: SplitResult) -> dict[str, str]:
    """The ``Authorization`` header a URL's ``user:password@`` asks for; none without one.

    HTTP Basic, as browsers and curl send it: the percent-decoded user and
    password, joined by a colon, in base64. The credentials go nowhere else.
    """
    if parts.username is None and parts.password is None:
        return {}
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}


def _readable(sock: socket.socket) -> bool:
    """Whether an idle connection has something to read: the receiver closed it (or misbehaved)."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


_proxies: tuple[float, dict[str, str]] = (-PROXY_SETTINGS_SECONDS, {})


def _proxied(scheme: str, host: str) -> bool:
    global _proxies
    read_at, proxies = _proxies
    if time.monotonic() - read_at >= PROXY_SETTINGS_SECONDS:
        proxies = urllib.request.getproxies()
        _proxies = (time.monotonic(), proxies)
    if scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(host)


#: One pool for the process.
POOL = ConnectionPool()
