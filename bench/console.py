"""The console's pages at 100,000 incidents and a million alerts, and live fan-out to 200 pages.

Part one seeds the history of ``bench/lists.py`` (a year of alerts, alert
groups, incidents, escalations, pages) plus ``--entries`` timeline entries per
incident, then asks the real app in-process (Starlette's TestClient over ASGI,
signed in with a console session) for the home page, the incident list, an
incident page and the alert list, ``--repeat`` times each. Beside each page's
p50/p95 server time stands a ceiling measured in the same run: a static file
(``/console-static/console.css``) served by the same app. Target: p95 under 50 ms.

Part two starts a real ``tocsin serve``, opens ``--watchers`` server-sent event
streams on one incident page (``/incidents/INC-1/live``), adds ``--notes`` notes
through the API, and times each note from the API's answer to its event at
every watcher. Target: p99 under 500 ms.

    .venv/bin/python bench/console.py                                       # full run
    .venv/bin/python bench/console.py --alerts 100000 --incidents 10000 --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from ingest_servers import database as server_database
from ingest_servers import tocsin_server
from lists import START, seed
from seeded import DEFAULT_POSTGRES, database, insert_rows, p95, samples, schema_key

from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.auth.deps import SESSION_COOKIE
from tocsin.incidents.tables import TimelineRow
from tocsin.kernel.settings import Settings

TARGET_MS = 50.0
FANOUT_TARGET_MS = 500.0
PAGES = {
    "home": "/",
    "incident list": "/incidents",
    "incident page": "/incidents/INC-{incident}",
    "alert list": "/alerts",
}
CEILING = "/console-static/console.css"


def _timeline(incidents: int, entries: int) -> Iterator[dict[str, Any]]:
    kinds = ("observation", "decision", "action")
    for n in range(incidents):
        at = START + timedelta(days=365) * (n / max(incidents, 1))
        for sequence in range(1, entries + 1):
            yield {
                "incident_id": n + 1,
                "sequence": sequence,
                "kind": "note",
                "note_kind": kinds[sequence % 3],
                "text": f"Entry {sequence}: error rate back under 1% on eu-west",
                "author": f"user-{sequence % 50}",
                "recorded_at": at + timedelta(minutes=sequence),
                "occurred_at": at + timedelta(minutes=sequence),
                "details": {},
            }


def _signed_in(tocsin: Tocsin) -> str:
    """A console session cookie of a new admin."""
    now = tocsin.clock.now()
    name = f"bench-{uuid.uuid4().hex[:6]}"
    with tocsin.database.transaction() as session:
        accounts.create_user(
            session,
            now=now,
            actor="bench",
            name=name,
            email=None,
            role="admin",
            password="bench password",
        )
        opened = accounts.open_session(session, name, now=now, remote_addr=None)
    assert opened is not None
    return opened[0]


def _timed(client: TestClient, path: str, repeat: int) -> tuple[float, float, float]:
    """p50 and p95 wall ms and median CPU ms of ``repeat`` requests, after one warm-up."""
    walls, cpus = samples(client, path, repeat, follow_redirects=False)
    return statistics.median(walls), p95(walls), statistics.median(cpus)


def pages(backend: str, args: argparse.Namespace) -> None:
    key = f"{args.alerts}-{args.incidents}-{args.entries}-{schema_key()}-console"
    with database(backend, Path(args.data), args.postgres, key) as settings:
        tocsin = Tocsin.open(settings)
        try:
            marker = Path(settings.data_dir) / "seeded"
            if backend == "postgresql" or not marker.exists():
                started = time.perf_counter()
                counts = seed(tocsin, alerts=args.alerts, incidents=args.incidents)
                counts["incident_timeline"] = insert_rows(
                    tocsin, TimelineRow, _timeline(args.incidents, args.entries)
                )
                print(f"{backend}: seeded {counts} in {time.perf_counter() - started:.0f} s")
                if backend == "sqlite":
                    marker.write_text("ok")
            cookie = _signed_in(tocsin)
            app = create_app(tocsin, start_engine=False)
            with TestClient(app, base_url="https://testserver") as client:
                client.cookies.set(SESSION_COOKIE, cookie)
                c50, c95, ccpu = _timed(client, CEILING, args.repeat)
                print(f"{backend}: {args.repeat} requests each; ms p50 / p95 (median CPU ms)")
                print(f"  {'static file (ceiling)':24} {c50:7.1f} / {c95:7.1f} ({ccpu:5.1f})")
                for name, path in PAGES.items():
                    shown = path.format(incident=max(1, args.incidents // 2))
                    p50_, p95_, cpu = _timed(client, shown, args.repeat)
                    verdict = "ok" if p95_ < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
                    print(
                        f"  {name:24} {p50_:7.1f} / {p95_:7.1f} ({cpu:5.1f})  "
                        f"{p95_ / max(c95, 0.01):5.1f}x ceiling  {verdict}",
                        flush=True,
                    )
        finally:
            tocsin.close()


class Watchers:
    """What the event streams heard: how many are open, and when each note's event arrived."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.opened = 0
        self.ready = asyncio.Event()
        self.arrivals: list[float] = []

    async def watch(self, url: str, cookie: str) -> None:
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}", "Accept": "text/event-stream"}
        async with (
            httpx.AsyncClient(timeout=None) as client,
            client.stream("GET", url, headers=headers) as stream,
        ):
            event = ""
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line == "" and event:
                    if event == "ready":
                        self.opened += 1
                        if self.opened >= self.count:
                            self.ready.set()
                    else:
                        self.arrivals.append(time.perf_counter())
                    event = ""


async def _fanout(base: str, cookie: str, token: str, watchers: int, notes: int) -> list[float]:
    """Latencies (ms) from each note's API answer to its event at each watcher."""
    heard = Watchers(watchers)
    url = f"{base}/incidents/INC-1/live"
    tasks = [asyncio.create_task(heard.watch(url, cookie)) for _ in range(watchers)]
    await asyncio.wait_for(heard.ready.wait(), 60)
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as api:
        for n in range(notes):
            heard.arrivals.clear()
            answer = await api.post(
                f"{base}/api/v1/incidents/INC-1/notes",
                headers={"Authorization": f"Bearer {token}"},
                json={"text": f"fan-out note {n}", "kind": "observation"},
            )
            written = time.perf_counter()
            answer.raise_for_status()
            deadline = written + 5
            while len(heard.arrivals) < watchers and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            if len(heard.arrivals) < watchers:
                raise RuntimeError(f"note {n}: {len(heard.arrivals)} of {watchers} heard it")
            latencies += [max(0.0, (at - written) * 1000) for at in heard.arrivals]
            await asyncio.sleep(0.3)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return latencies


def fanout(backend: str, args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        server_database(backend, Path(folder), args.postgres) as db,
    ):
        settings: Settings = db.settings
        tocsin = Tocsin.open(settings)
        try:
            cookie = _signed_in(tocsin)
            with tocsin.database.transaction() as session:
                user = accounts.create_user(
                    session,
                    now=tocsin.clock.now(),
                    actor="bench",
                    name="bench-api",
                    email=None,
                    role="admin",
                )
                _, token = accounts.create_token(session, user, now=tocsin.clock.now(), actor="b")
        finally:
            tocsin.close()
        with tocsin_server(settings, Path(folder), 1) as (port, _):
            base = f"http://127.0.0.1:{port}"
            declared = httpx.post(
                f"{base}/api/v1/incidents",
                headers={"Authorization": f"Bearer {token}"},
                json={"title": "Fan-out", "severity": "SEV-3"},
                timeout=30,
            )
            declared.raise_for_status()
            latencies = asyncio.run(_fanout(base, cookie, token, args.watchers, args.notes))
        ordered = sorted(latencies)
        p99 = ordered[max(0, round(0.99 * len(ordered)) - 1)]
        verdict = "ok" if p99 < FANOUT_TARGET_MS else f"OVER {FANOUT_TARGET_MS:.0f} ms"
        print(
            f"{backend}: {args.watchers} watchers x {args.notes} notes: write to event "
            f"p50 {statistics.median(ordered):.0f} ms, p99 {p99:.0f} ms, "
            f"max {ordered[-1]:.0f} ms  {verdict}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=30, help="timeline entries per incident")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--notes", type=int, default=10)
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--data", default="/tmp/tocsin-bench-console", help="SQLite cache folder")
    parser.add_argument(
        "--postgres", default=os.environ.get("TOCSIN_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    print(f"console with {args.alerts:,} alerts and {args.incidents:,} incidents", flush=True)
    for backend in (name.strip() for name in args.backends.split(",")):
        if not args.skip_pages:
            pages(backend, args)
        fanout(backend, args)
    print("done", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
