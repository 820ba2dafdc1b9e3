"""Benchmark: alert ingest throughput and latency against a no-op FastAPI ceiling.

Run with ``.venv/bin/python bench/ingest.py`` (``--help`` for options).

For each payload format (PagerDuty Events v2 and Alertmanager v4, one alert per
request), the same load generator on 127.0.0.1 drives:

1. the **ceiling**: a minimal FastAPI app, served by uvicorn with as many worker
   processes as ``tocsin serve``, whose one endpoint validates the same JSON body
   with the same Pydantic model and answers 202;
2. ``tocsin serve`` on SQLite, then on PostgreSQL (when reachable), each with an
   empty database and again with 1,000,000 alerts already stored (inserted
   directly with SQL before the server starts).

With ``--workers N`` (N > 1) the ceiling and PostgreSQL run with one process and
again with N (``tocsin serve --workers N``), to compare their rates in the same
run; SQLite, which ``tocsin serve`` keeps to one process, runs once with one
process and once as N separate ``tocsin serve`` processes on the same file (the
load split between their ports), to show what a second writer process does.

The load is 80% duplicates (triggers of 1,000 alerts kept open) and 20% new
dedup keys. Each run keeps ``--connections`` keep-alive connections busy for
``--seconds`` after a warm-up and reports alerts/s, p50 and p99 latency, the
server's CPU per accepted alert (all its processes), the peak resident memory
(VmHWM) of its largest process, and on PostgreSQL the deadlocks counted in
the run's own database. The generator only talks to 127.0.0.1, and every run
is bounded in time and in requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest_servers import (
    HOST,
    Database,
    ceiling,
    cpu_seconds,
    database,
    machine_cpu,
    peak_rss_mb,
    postgres_reachable,
    tocsin_server,
)
from sqlalchemy import insert

from tocsin.alerts import integrations
from tocsin.alerts.config_schema import ALERT_POLICY, IntegrationConfig
from tocsin.alerts.statements import ALERTS
from tocsin.app.service import Tocsin
from tocsin.config.tables import Definition
from tocsin.kernel.settings import Settings

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
#: N PostgreSQL workers against one, on this 2-core machine with N = 2.
TARGET_SCALING = 1.6
TARGET_RSS_MB = 250


@dataclass(frozen=True)
class Figures:
    label: str
    alerts_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: The largest peak RSS among the server's processes, and how many there were.
    peak_rss_mb: float | None
    processes: int
    cpu_ms_per_alert: float | None
    #: CPU the whole machine spent per alert (server, database, load generator).
    machine_cpu_ms_per_alert: float
    #: Share of the machine's CPUs busy during the run, and stolen by the hypervisor.
    machine_busy: float
    machine_steal: float


@dataclass(frozen=True)
class Result:
    backend: str
    fmt: str
    history: int
    #: Server processes: ``tocsin serve --workers``, or separate processes on SQLite.
    workers: int
    figures: Figures
    #: Deadlocks PostgreSQL counted in the run's database (None on SQLite).
    deadlocks: int | None


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


async def _drive(
    ports: list[int], requests: list[bytes], connections: int, seconds: float
) -> Outcome:
    timings: list[float] = []
    stop_at = time.perf_counter() + seconds
    began = time.perf_counter()
    errors = await asyncio.gather(
        *(
            _connection(ports[n % len(ports)], requests, n, connections, stop_at, timings)
            for n in range(connections)
        )
    )
    return timings, sum(errors), time.perf_counter() - began


def drive(ports: list[int], requests: list[bytes], connections: int, seconds: float) -> Outcome:
    """Load the servers on ``ports``, each connection keeping to one of them."""
    return asyncio.run(_drive(ports, requests, connections, seconds))


def measure(
    label: str,
    ports: list[int],
    fmt: str,
    key: str,
    args: argparse.Namespace,
    pids: list[int],
    seed: int,
) -> Figures:
    """Warm up, then load the servers for ``args.seconds``; ``pids``: their process trees."""
    count = min(MAX_REQUESTS_PER_RUN, int(args.seconds * REQUESTS_PER_SECOND_BOUND))
    warm = [request(fmt, key, body) for body in bodies(fmt, key, HOT_KEYS, seed)]
    hot = [
        request(fmt, key, pagerduty_body(key, f"hot-{n}", n))
        if fmt == "pagerduty"
        else request(fmt, key, alertmanager_body(f"hot-{n}", n))
        for n in range(HOT_KEYS)
    ]
    drive(ports, hot + warm, args.connections, args.warmup)
    load = [request(fmt, key, body) for body in bodies(fmt, key, count, seed + 1)]
    cpu_before = [cpu_seconds(pid) for pid in pids]
    busy_before, steal_before = machine_cpu()
    timings, errors, elapsed = drive(ports, load, args.connections, args.seconds)
    busy_after, steal_after = machine_cpu()
    cpu_after = [cpu_seconds(pid) for pid in pids]
    cores = os.cpu_count() or 1
    timings.sort()
    accepted = len(timings) - errors
    cpu = None
    if accepted and None not in cpu_before and None not in cpu_after:
        cpu = sum(a or 0 for a in cpu_after) - sum(b or 0 for b in cpu_before)
    peaks = [peak for pid in pids for peak in peak_rss_mb(pid)]
    return Figures(
        label=label,
        alerts_per_second=accepted / elapsed,
        p50_ms=statistics.median(timings) * 1000,
        p99_ms=timings[int(len(timings) * 0.99) - 1] * 1000,
        errors=errors,
        peak_rss_mb=max(peaks, default=None),
        processes=len(peaks),
        cpu_ms_per_alert=None if cpu is None else cpu * 1000 / accepted,
        machine_cpu_ms_per_alert=(busy_after - busy_before) * 1000 / max(accepted, 1),
        machine_busy=(busy_after - busy_before) / (elapsed * cores),
        machine_steal=(steal_after - steal_before) / (elapsed * cores),
    )


# --- databases -----------------------------------------------------------------------


def prepare(settings: Settings, history: int, group_by: list[str]) -> dict[str, str]:
    """Migrate, create one key per format, and bulk-insert ``history`` stored alerts.

    ``group_by`` becomes the service's alert policy (none: one group per service).
    """
    opened = Tocsin.open(settings)
    keys = {}
    try:
        now = opened.clock.now()
        with opened.database.transaction() as session:
            if group_by:
                session.add(
                    Definition(
                        kind=ALERT_POLICY,
                        name="checkout",
                        position=0,
                        spec={"group_by": group_by},
                        managed_by=None,
                        created_at=now,
                        updated_at=now,
                    )
                )
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


def row(figures: Figures, ceiling_figures: Figures, deadlocks: int | None = None) -> str:
    share = figures.alerts_per_second / ceiling_figures.alerts_per_second
    rss = f"{figures.peak_rss_mb:.0f}" if figures.peak_rss_mb is not None else "-"
    cpu = f"{figures.cpu_ms_per_alert:.2f}" if figures.cpu_ms_per_alert is not None else "-"
    ceiling_cpu = ceiling_figures.cpu_ms_per_alert
    return (
        f"| {figures.label} | {figures.alerts_per_second:,.0f} | {share:.0%} | "
        f"{figures.p50_ms:.1f} | {figures.p99_ms:.1f} | "
        f"{figures.p99_ms / ceiling_figures.p99_ms:.1f}x | {cpu} | "
        f"{'-' if ceiling_cpu is None else f'{ceiling_cpu:.2f}'} | {figures.errors} | "
        f"{'-' if deadlocks is None else deadlocks} | {rss} ({figures.processes}) | "
        f"{figures.machine_cpu_ms_per_alert:.2f} | {figures.machine_busy:.0%} | "
        f"{figures.machine_steal:.0%} |"
    )


def run_tocsin(
    backend: str, history: int, workers: int, directory: Path, args: argparse.Namespace
) -> list[Result]:
    """Both formats against ``tocsin serve`` on a fresh database holding ``history`` alerts.

    On SQLite, ``workers`` > 1 starts that many separate one-process servers on
    the same file (``tocsin serve`` refuses ``--workers`` there).
    """
    with database(backend, directory, args.postgres_url) as db:
        started = time.perf_counter()
        keys = prepare(db.settings, history, args.group_by)
        if history:
            print(f"{backend}: stored {history:,} alerts in {time.perf_counter() - started:.0f}s")
        before = db.deadlocks()
        figures: dict[str, Figures] = {}
        with ExitStack() as servers:
            separate = backend == "sqlite"
            started_servers = [
                servers.enter_context(
                    tocsin_server(db.settings, directory, 1 if separate else workers)
                )
                for _ in range(workers if separate else 1)
            ]
            ports = [port for port, _ in started_servers]
            pids = [pid for _, pid in started_servers]
            for fmt in FORMATS:
                label = f"tocsin {backend} {fmt} ({history:,} stored{_processes(backend, workers)})"
                figures[fmt] = measure(label, ports, fmt, keys[fmt], args, pids, 11)
        deadlocks = _deadlocks_since(db, before)
    return [Result(backend, fmt, history, workers, figures[fmt], deadlocks) for fmt in FORMATS]


def _processes(backend: str, workers: int) -> str:
    if workers == 1:
        return ""
    return f", {workers} processes on one file" if backend == "sqlite" else f", {workers} workers"


def _deadlocks_since(db: Database, before: int | None) -> int | None:
    db.wait_idle()  # the server's connections report their counts as they end
    after = db.deadlocks()
    return None if before is None or after is None else after - before


def verdicts(
    result: Result, results: list[Result], ceilings: dict[tuple[str, int], Figures]
) -> str:
    """How one run compares with the targets, in one line."""
    backend, fmt, history, workers, figures = (
        result.backend,
        result.fmt,
        result.history,
        result.workers,
        result.figures,
    )
    ceiling_figures = ceilings[fmt, workers]
    share = figures.alerts_per_second / ceiling_figures.alerts_per_second
    p99 = figures.p99_ms / ceiling_figures.p99_ms
    found = [
        f"throughput {share:.0%} of its ceiling (target {TARGET_SHARE[backend]:.0%}): "
        f"{_met(share >= TARGET_SHARE[backend])}",
        f"p99 {p99:.1f}x ceiling (target {TARGET_P99_FACTOR:g}x): {_met(p99 <= TARGET_P99_FACTOR)}",
    ]

    def same(**differing: int) -> Result:
        fields = {"history": history, "workers": workers} | differing
        return next(
            r
            for r in results
            if r.backend == backend
            and r.fmt == fmt
            and (r.history, r.workers) == (fields["history"], fields["workers"])
        )

    if history:
        kept = figures.alerts_per_second / same(history=0).figures.alerts_per_second
        found.append(
            f"with history {kept:.0%} of empty (target {TARGET_HISTORY_SHARE:.0%}): "
            f"{_met(kept >= TARGET_HISTORY_SHARE)}"
        )
    if workers > 1:
        one = same(workers=1).figures
        scaling = figures.alerts_per_second / one.alerts_per_second
        target = f" (target {TARGET_SCALING:g}x)" if backend == "postgresql" else ""
        found.append(
            f"{scaling:.2f}x one process{target}"
            + (f": {_met(scaling >= TARGET_SCALING)}" if target else "")
            + f" (the machine's CPU allows at most {_cpu_bound(one):.2f}x)"
        )
    if result.deadlocks is not None:
        found.append(f"deadlocks {result.deadlocks} (target 0): {_met(result.deadlocks == 0)}")
    if figures.peak_rss_mb is not None:
        found.append(
            f"peak RSS {figures.peak_rss_mb:.0f} MB per process (target {TARGET_RSS_MB}): "
            f"{_met(figures.peak_rss_mb < TARGET_RSS_MB)}"
        )
    return f"{figures.label}: " + "; ".join(found)


def _cpu_bound(one: Figures) -> float:
    """The most any number of processes could multiply the one-process rate on this machine.

    Server, database and load generator share the machine's CPUs: at the
    one-process run's CPU per alert (all of them), the CPUs not stolen by the
    hypervisor can carry this many times its rate, whatever the processes.
    """
    available = 1 - one.machine_steal
    return available / one.machine_busy if one.machine_busy > 0 else float("inf")


def _met(met: bool) -> str:
    return "met" if met else "MISSED"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--history", type=int, default=1_000_000, help="stored alerts (0: skip)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (tocsin serve --workers, uvicorn --workers for the ceiling); "
        "above 1, each server also runs with one process, for the ratio",
    )
    parser.add_argument(
        "--group-by",
        type=lambda text: [label for label in text.split(",") if label],
        default=[],
        help="labels that group the service's alerts (comma-separated; '...': each alert "
        "its own group); default: one group for the service, which every new alert locks",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TOCSIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a database to connect to; each run creates and drops a database of its own",
    )
    return parser.parse_args()


def main() -> None:
    args = arguments()
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not postgres_reachable(args.postgres_url):
        print(f"PostgreSQL at {args.postgres_url} is not reachable: skipping it")
        backends.remove("postgresql")
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}; {args.connections} connections, {args.seconds:g}s per run; "
        f"80% duplicates / 20% new keys; load average {os.getloadavg()[0]:.1f}"
    )
    counts = sorted({1, args.workers})
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as name:
        directory = Path(name)
        ceilings: dict[tuple[str, int], Figures] = {}
        for workers in counts:
            with ceiling(directory, workers) as (port, pid):
                for fmt in FORMATS:
                    label = f"ceiling {fmt}" + (f" ({workers} workers)" if workers > 1 else "")
                    ceilings[fmt, workers] = measure(label, [port], fmt, "0" * 32, args, [pid], 7)
        results: list[Result] = []
        for backend in backends:
            for history in sorted({0, args.history}):
                for workers in counts:
                    results += run_tocsin(backend, history, workers, directory, args)
    print()
    print(
        "| run | alerts/s | of ceiling | p50 ms | p99 ms | p99 vs ceiling | "
        "server CPU ms/alert | ceiling CPU ms/request | errors | deadlocks | "
        "peak RSS MB (processes) | machine CPU ms/alert | machine busy | stolen |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (fmt, workers), figures in ceilings.items():
        print(row(figures, ceilings[fmt, workers]))
    for result in results:
        print(row(result.figures, ceilings[result.fmt, result.workers], result.deadlocks))
    print()
    for result in results:
        print(verdicts(result, results, ceilings))


if __name__ == "__main__":
    main()
