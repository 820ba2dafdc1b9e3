"""A webhook receiver for benchmarks, run as its own process.

It stands where a team's real receiver would: in another process, keeping
connections alive (HTTP/1.1), answering ``200 ok`` at once. It checks each
webhook's signature (``X-Tocsin-Signature`` over the timestamp and the raw
body) and counts the ones that fail, and notes when the first webhook for
each page title arrived, on the system-wide monotonic clock
(``time.monotonic()``, CLOCK_MONOTONIC on Linux), so another process can
compare it with its own readings.

``GET /stats`` answers ``{"received": n, "bad_signatures": n}``;
``GET /arrivals`` answers ``{title: seconds}`` for the first webhook of each
title.

Run: ``python bench/webhook_sink.py --port PORT --secret SECRET``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import time


class Receiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.received = 0
        self.bad_signatures = 0
        self.arrivals: dict[str, float] = {}

    def webhook(self, headers: dict[str, str], body: bytes) -> None:
        arrived = time.monotonic()
        self.received += 1
        timestamp = headers.get("x-tocsin-timestamp", "")
        expected = hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256)
        signed = headers.get("x-tocsin-signature", "")
        if not hmac.compare_digest("v1=" + expected.hexdigest(), signed):
            self.bad_signatures += 1
            return
        for page in json.loads(body).get("pages", []):
            self.arrivals.setdefault(str(page.get("title")), arrived)

    def answer(self, path: str) -> bytes:
        if path == "/stats":
            return json.dumps(
                {"received": self.received, "bad_signatures": self.bad_signatures}
            ).encode()
        if path == "/arrivals":
            return json.dumps(self.arrivals).encode()
        return b"ok"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readline()
                if not request:
                    break
                method, path, _ = request.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                if method == "POST":
                    self.webhook(headers, body)
                content = self.answer(path) if method == "GET" else b"ok"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    + f"Content-Length: {len(content)}\r\n\r\n".encode()
                    + content
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def main(port: int, secret: str) -> None:
    receiver = Receiver(secret)
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.secret))
