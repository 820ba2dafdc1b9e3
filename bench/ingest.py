"""Benchmark: alert ingest throughput and latency against a no-op FastAPI ceiling.

Run with ``.venv/bin/python bench/ingest.py`` (``--help`` for options).

For each payload format (PagerDuty Events v2 and Alertmanager v4, one alert per
request), the same load generator on 127.0.0.1 drives:

1. the **ceiling**: a minimal FastAPI app, served by uvicorn with one worker like
   ``tocsin serve``, whose one endpoint validates the same JSON body with the
   same Pydantic model and answers 202;
2. ``tocsin serve`` on SQLite, then on PostgreSQL (when reachable), each with an
   empty database and again with 1,000,000 alerts already stored (inserted
   directly with SQL before the server starts).

The load is 80% duplicates (triggers of 1,000 alerts kept open) and 20% new
dedup keys. Each run keeps ``--connections`` keep-alive connections busy for
``--seconds`` after a warm-up and reports alerts/s, p50 and p99 latency and the
server's peak resident memory (VmHWM). The generator only talks to 127.0.0.1,
and every run is bounded in time and in requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from tocsin.alerts import integrations
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.alerts.statements import ALERTS
from tocsin.app.service import Tocsin
from tocsin.kernel.settings import Settings

REPO = Path(__file__).resolve().parents[1]

HOST = "127.0.0.1"
HOT_KEYS = 1_000
DUPLICATE_SHARE = 0.8
MAX_REQUESTS_PER_RUN = 2_000_000
#: Requests prepared per measured second: more than either server can answer here.
REQUESTS_PER_SECOND_BOUND = 8_000
HISTORY_BATCH = 20_000
FORMATS = ("pagerduty", "alertmanager")
PATHS = {"pagerduty": "/v2/enqueue", "alertmanager": "/api/v1/integrations/{key}/alertmanager"}
TARGET_SHARE = {"sqlite": 0.60, "postgresql": 0.50}
TARGET_P99_FACTOR = 3.0
TARGET_HISTORY_SHARE = 0.80

CEILING_APP = """
from fastapi import FastAPI
from tocsin.inbound.alertmanager import AlertmanagerPayload
from tocsin.inbound.pagerduty import PagerDutyEvent

app = FastAPI()


@app.post("/v2/enqueue", status_code=202)
async def enqueue(event: PagerDutyEvent) -> dict[str, str]:
    return {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key or ""}


@app.post("/api/v1/integrations/{key}/alertmanager", status_code=202)
async def alertmanager(key: str, payload: AlertmanagerPayload) -> dict[str, str]:
    return {"status": "accepted"}
"""


@dataclass(frozen=True)
class Figures:
    label: str
    alerts_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mb: float | None
    cpu_ms_per_alert: float | None


# --- request bodies -------------------------------------------------------------


def pagerduty_body(key: str, dedup: str, n: int) -> bytes:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {
            "summary": f"Checkout p99 latency above 2s on checkout-api-{n % 20}",
            "source": f"checkout-api-{n % 20}",
            "severity": "warning",
            "component": "checkout",
            "group": f"eu-west-{n % 3}",
            "class": "latency",
            "custom_details": {"p99_ms": 2000 + n % 500, "region": "eu-west-1"},
        },
        "links": [{"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"}],
    }
    return json.dumps(event).encode()


def alertmanager_body(dedup: str, n: int) -> bytes:
    labels = {
        "alertname": f"HighLatency{n % 50}",
        "cluster": "prod-eu-1",
        "instance": f"checkout-api-{n % 20}:9090",
        "job": "checkout",
        "severity": "warning",
    }
    payload = {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "tocsin",
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {
                    "summary": "p99 latency above 2s",
                    "runbook_url": "https://runbooks.example.com/latency",
                },
                "startsAt": "2026-01-05T08:55:12.345Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=latency",
                "fingerprint": dedup,
            }
        ],
    }
    return json.dumps(payload).encode()


def bodies(fmt: str, key: str, count: int, seed: int) -> Iterator[bytes]:
    """``count`` bodies: 80% triggers of the hot keys, 20% new keys."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:8]
    for n in range(count):
        if rng.random() < DUPLICATE_SHARE:
            dedup = f"hot-{rng.randrange(HOT_KEYS)}"
        else:
            dedup = f"new-{run}-{n}"
        yield pagerduty_body(key, dedup, n) if fmt == "pagerduty" else alertmanager_body(dedup, n)


def request(fmt: str, key: str, body: bytes) -> bytes:
    path = PATHS[fmt].format(key=key)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


# --- load generator ---------------------------------------------------------------


async def _connection(
    port: int, requests: list[bytes], start: int, stride: int, stop_at: float, timings: list[float]
) -> int:
    """Send requests back to back on one keep-alive connection; returns non-2xx answers."""
    reader, writer = await asyncio.open_connection(HOST, port)
    errors = 0
    index = start
    try:
        while time.perf_counter() < stop_at and index < len(requests):
            began = time.perf_counter()
            writer.write(requests[index])
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            timings.append(time.perf_counter() - began)
            if not status_line.split(b" ")[1].startswith(b"2"):
                errors += 1
            index += stride
    finally:
        writer.close()
    return errors


Outcome = tuple[list[float], int, float]


async def _drive(port: int, requests: list[bytes], connections: int, seconds: float) -> Outcome:
    timings: list[float] = []
    stop_at = time.perf_counter() + seconds
    began = time.perf_counter()
    errors = await asyncio.gather(
        *(_connection(port, requests, n, connections, stop_at, timings) for n in range(connections))
    )
    return timings, sum(errors), time.perf_counter() - began


def drive(port: int, requests: list[bytes], connections: int, seconds: float) -> Outcome:
    return asyncio.run(_drive(port, requests, connections, seconds))


def measure(
    label: str,
    port: int,
    fmt: str,
    key: str,
    args: argparse.Namespace,
    pid: int | None,
    seed: int,
) -> Figures:
    count = min(MAX_REQUESTS_PER_RUN, int(args.seconds * REQUESTS_PER_SECOND_BOUND))
    warm = [request(fmt, key, body) for body in bodies(fmt, key, HOT_KEYS, seed)]
    hot = [
        request(fmt, key, pagerduty_body(key, f"hot-{n}", n))
        if fmt == "pagerduty"
        else request(fmt, key, alertmanager_body(f"hot-{n}", n))
        for n in range(HOT_KEYS)
    ]
    drive(port, hot + warm, args.connections, args.warmup)
    load = [request(fmt, key, body) for body in bodies(fmt, key, count, seed + 1)]
    cpu_before = cpu_seconds(pid) if pid else None
    timings, errors, elapsed = drive(port, load, args.connections, args.seconds)
    cpu_after = cpu_seconds(pid) if pid else None
    timings.sort()
    return Figures(
        label=label,
        alerts_per_second=(len(timings) - errors) / elapsed,
        p50_ms=statistics.median(timings) * 1000,
        p99_ms=timings[int(len(timings) * 0.99) - 1] * 1000,
        errors=errors,
        peak_rss_mb=peak_rss_mb(pid) if pid else None,
        cpu_ms_per_alert=(cpu_after - cpu_before) * 1000 / len(timings)
        if cpu_before is not None and cpu_after is not None and timings
        else None,
    )


# --- servers -------------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process has used so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def process(args: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[int]:
    with log.open("ab") as output:
        child = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_ready(ready, child)
        yield child.pid
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


@contextmanager
def ceiling(directory: Path) -> Iterator[tuple[int, int]]:
    (directory / "ceiling_app.py").write_text(CEILING_APP)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=f"{directory}:{REPO}")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "ceiling_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with process(command, env, f"http://{HOST}:{port}/docs", directory / "ceiling.log") as pid:
        yield port, pid


@contextmanager
def tocsin_server(settings: Settings, directory: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = dict(
        os.environ,
        TOCSIN_DATABASE_URL=settings.database_url,
        TOCSIN_DATA_DIR=str(settings.data_dir),
        PYTHONPATH=str(REPO),
    )
    command = [
        sys.executable,
        "-m",
        "tocsin",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with process(command, env, f"http://{HOST}:{port}/healthz", directory / "serve.log") as pid:
        yield port, pid


# --- databases -----------------------------------------------------------------------


@contextmanager
def database(backend: str, directory: Path, postgres_url: str) -> Iterator[Settings]:
    if backend == "sqlite":
        data = directory / f"sqlite-{uuid.uuid4().hex[:6]}"
        yield Settings.load(data_dir=data, database_url=f"sqlite:///{data / 'tocsin.db'}")
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield Settings.load(data_dir=directory, database_url=url.render_as_string(False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare(settings: Settings, history: int) -> dict[str, str]:
    """Migrate, create one key per format, and bulk-insert ``history`` stored alerts."""
    opened = Tocsin.open(settings)
    keys = {}
    try:
        now = opened.clock.now()
        with opened.database.transaction() as session:
            for fmt in FORMATS:
                config = IntegrationConfig(
                    service="checkout", type=fmt, rate_limit_per_minute=100_000_000
                )
                keys[fmt] = integrations.create(
                    session, f"bench-{fmt}", config, actor="bench", now=now
                )
        insert_history(opened, history, now)
    finally:
        opened.close()
    return keys


def insert_history(opened: Tocsin, history: int, now: datetime) -> None:
    """Stored alerts as a year of operation leaves them: 99.5% resolved, 0.5% open."""
    start = now - timedelta(days=365)
    step = timedelta(days=365) / max(history, 1)
    for first in range(0, history, HISTORY_BATCH):
        rows: list[dict[str, object]] = []
        for n in range(first, min(first + HISTORY_BATCH, history)):
            at = start + step * n
            open_ = n % 200 == 0
            rows.append(
                {
                    "service": f"service-{n % 40}" if n % 3 else "checkout",
                    "dedup_key": f"history-{n}",
                    "status": "triggered" if open_ else "resolved",
                    "severity": ("critical", "error", "warning", "info")[n % 4],
                    "summary": f"Historic alert {n}",
                    "integration": "history",
                    "source_type": "alertmanager",
                    "source": f"host-{n % 500}",
                    "labels": {"alertname": f"Rule{n % 300}", "instance": f"host-{n % 500}"},
                    "annotations": {},
                    "details": {},
                    "links": [],
                    "occurrences": 1 + n % 5,
                    "flapping": False,
                    "urgency": "high",
                    "triggered_at": at,
                    "last_event_at": at,
                    "resolved_at": None if open_ else at + timedelta(minutes=30),
                }
            )
        with opened.database.transaction() as session:
            session.execute(insert(ALERTS), rows)


# --- the run -------------------------------------------------------------------------


def postgres_reachable(url: str) -> bool:
    try:
        with create_engine(url).connect():
            return True
    except Exception:
        return False


def row(figures: Figures, ceiling_figures: Figures) -> str:
    share = figures.alerts_per_second / ceiling_figures.alerts_per_second
    rss = f"{figures.peak_rss_mb:.0f}" if figures.peak_rss_mb is not None else "-"
    cpu = f"{figures.cpu_ms_per_alert:.2f}" if figures.cpu_ms_per_alert is not None else "-"
    return (
        f"| {figures.label} | {figures.alerts_per_second:,.0f} | {share:.0%} | "
        f"{figures.p50_ms:.1f} | {figures.p99_ms:.1f} | "
        f"{figures.p99_ms / ceiling_figures.p99_ms:.1f}x | {cpu} | {figures.errors} | {rss} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--history", type=int, default=1_000_000, help="stored alerts (0: skip)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TOCSIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not postgres_reachable(args.postgres_url):
        print(f"PostgreSQL at {args.postgres_url} is not reachable: skipping it")
        backends.remove("postgresql")
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}; {args.connections} connections, {args.seconds:g}s per run; "
        f"80% duplicates / 20% new keys"
    )
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as name:
        directory = Path(name)
        ceilings: dict[str, Figures] = {}
        with ceiling(directory) as (port, pid):
            for fmt in FORMATS:
                ceilings[fmt] = measure(f"ceiling {fmt}", port, fmt, "0" * 32, args, pid, 7)
        results: list[tuple[str, str, int, Figures]] = []
        for backend in backends:
            for history in sorted({0, args.history}):
                with database(backend, directory, args.postgres_url) as settings:
                    started = time.perf_counter()
                    keys = prepare(settings, history)
                    if history:
                        print(
                            f"{backend}: stored {history:,} alerts in "
                            f"{time.perf_counter() - started:.0f}s"
                        )
                    with tocsin_server(settings, directory) as (port, pid):
                        for fmt in FORMATS:
                            label = f"tocsin {backend} {fmt} ({history:,} stored)"
                            figures = measure(label, port, fmt, keys[fmt], args, pid, 11)
                            results.append((backend, fmt, history, figures))
        print()
        print(
            "| run | alerts/s | of ceiling | p50 ms | p99 ms | p99 vs ceiling | "
            "server CPU ms/alert | errors | peak RSS MB |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for fmt, figures in ceilings.items():
            print(row(figures, ceilings[fmt]))
        for _, fmt, _, figures in results:
            print(row(figures, ceilings[fmt]))
        print()
        for backend, fmt, history, figures in results:
            share = figures.alerts_per_second / ceilings[fmt].alerts_per_second
            p99 = figures.p99_ms / ceilings[fmt].p99_ms
            verdicts = [
                f"throughput {share:.0%} (target {TARGET_SHARE[backend]:.0%}): "
                f"{'met' if share >= TARGET_SHARE[backend] else 'MISSED'}",
                f"p99 {p99:.1f}x ceiling (target {TARGET_P99_FACTOR:g}x): "
                f"{'met' if p99 <= TARGET_P99_FACTOR else 'MISSED'}",
            ]
            if history:
                empty = next(
                    f.alerts_per_second
                    for b, fm, h, f in results
                    if b == backend and fm == fmt and h == 0
                )
                kept = figures.alerts_per_second / empty
                verdicts.append(
                    f"with history {kept:.0%} of empty (target {TARGET_HISTORY_SHARE:.0%}): "
                    f"{'met' if kept >= TARGET_HISTORY_SHARE else 'MISSED'}"
                )
            print(f"{backend} {fmt} {history:,} stored: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
