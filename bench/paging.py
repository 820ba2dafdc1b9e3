"""Paging benchmark: step lateness under many concurrent escalations, and alert-to-first-page.

Part 1, **step lateness**: ``--escalations`` escalations (default 10,000) are
in flight at once. Their first steps come due spread over ``--spread``
seconds, their second steps one minute later; every step pages one of 50
people by signed webhook to a local HTTP receiver. Lateness of a step is when
its job finished minus when it was due. The engine runs in-process with
``--threads`` worker threads on the real clock.

Part 2, **accepted alert to first page**: a real ``tocsin serve`` process
receives ``--rate`` alerts per second (PagerDuty Events API v2 triggers,
``POST /v2/enqueue``, each a new alert on one of 50 services whose alerts
each open a group of their own) for ``--seconds`` seconds, sent on schedule
by an asyncio client over a pool of kept-alive connections; for each, the
time from the 202 answer to the first signed webhook page for it arriving at
the receiver. Between the two, Tocsin hands the new group to paging (a
durable job), starts its escalation, runs the first step and delivers the
page.

The receiver (``bench/webhook_sink.py``) runs as its own process, as a real
one would: it keeps connections alive, checks every signature and notes
arrival times on the system-wide monotonic clock.

Ceilings printed in the same run: the step lateness target (p99 < 1 s), the
first-page target (p99 < 250 ms), GoAlert's engine cycle (5 s, the lateness a
5-second poll loop would add), and the round trip of one POST to the receiver
(the floor of any webhook delivery on this machine).

Run: ``.venv/bin/python bench/paging.py [--postgres URL]``; both backends run
when a PostgreSQL URL is given (or ``TOCSIN_TEST_POSTGRES_URL`` is set).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.databases import database_url  # noqa: E402
from tests.support.processes import environment, free_port, start, stop, wait_for  # noqa: E402
from tocsin.alerts import integrations  # noqa: E402
from tocsin.alerts.config_schema import IntegrationConfig  # noqa: E402
from tocsin.app.config_kinds import CONFIG_KINDS  # noqa: E402
from tocsin.app.service import Tocsin  # noqa: E402
from tocsin.config.apply import apply  # noqa: E402
from tocsin.config.validate import validate_directory  # noqa: E402
from tocsin.db import migrate  # noqa: E402
from tocsin.db.database import Database  # noqa: E402
from tocsin.domain.escalation import Urgency  # noqa: E402
from tocsin.engine.tables import Job  # noqa: E402
from tocsin.kernel.settings import Settings  # noqa: E402
from tocsin.notify.posting import ConnectionPool  # noqa: E402
from tocsin.paging import jobs as paging_jobs  # noqa: E402
from tocsin.paging import runs  # noqa: E402
from tocsin.paging.tables import EscalationRun  # noqa: E402

PEOPLE = 50
SECRET = "bench-secret"
LATENESS_TARGET = 1.0
FIRST_PAGE_TARGET = 0.250
GOALERT_CYCLE = 5.0


class Receiver:
    """The webhook receiver process, reached on 127.0.0.1.

    Asked through one kept-alive client: a client per question (TLS context
    and all) would cost the benchmark's own process more than the question.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.client = httpx.Client(base_url=self.url(""), timeout=30)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stats(self) -> dict[str, int]:
        answer: dict[str, int] = self.client.get("/stats").json()
        return answer

    def arrivals(self) -> dict[str, float]:
        answer: dict[str, float] = self.client.get("/arrivals").json()
        return answer


@contextmanager
def receiver() -> Iterator[Receiver]:
    port = free_port()
    script = REPO / "bench" / "webhook_sink.py"
    process = subprocess.Popen(
        [sys.executable, str(script), "--port", str(port), "--secret", SECRET]
    )
    found = Receiver(port)
    try:
        wait_for(lambda: _answers(found), timeout=30, what="the webhook receiver")
        yield found
    finally:
        found.client.close()
        process.terminate()
        process.wait(10)


def _answers(found: Receiver) -> bool:
    try:
        found.stats()
    except httpx.HTTPError:
        return False
    return True


def config(sink: Receiver) -> str:
    users = "\n".join(
        f'  p{n}:\n    contact_methods: [{{type: webhook, url: "{sink.url(f"/p{n}")}"}}]'
        for n in range(PEOPLE)
    )
    policies = "\n".join(
        f"  bench-{n}:\n    steps:\n"
        f"      - {{targets: [{{user: p{n}}}], timeout_minutes: 1}}\n"
        f"      - {{targets: [{{user: p{(n + 1) % PEOPLE}}}], timeout_minutes: 1}}"
        for n in range(PEOPLE)
    )
    services = "\n".join(f"  svc-{n}:\n    escalation_policy: bench-{n}" for n in range(PEOPLE))
    return (
        f"users:\n{users}\n  root:\n    role: admin\nescalation_policies:\n{policies}\n"
        f"services:\n{services}\n"
        'alert_policies:\n  "*":\n    group_by: ["..."]\n'
        "paging:\n  rate_limits:\n    webhook: {count: 1000000, window_minutes: 1}\n"
    )


def configure(database: Database, sink: Receiver, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.yaml").write_text(config(sink))
    now = datetime.now(UTC)
    validation = validate_directory(directory, CONFIG_KINDS, now=now)
    assert validation.ok, validation.errors
    with database.transaction() as session:
        apply(session, validation.configuration, now=now)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def describe(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(values, 0.99) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms (n={len(values)})"
    )


def verdict(values: list[float], target: float) -> str:
    p99 = percentile(values, 0.99)
    met = "met" if p99 < target else "MISSED"
    return f"target p99 < {target * 1000:.0f} ms: {met}"


def sink_floor(sink: Receiver) -> float:
    pool = ConnectionPool()
    times = []
    for _ in range(200):
        began = time.perf_counter()
        pool.post(sink.url("/floor"), b"{}", {"Content-Type": "application/json"}, 10)
        times.append(time.perf_counter() - began)
    pool.close()
    return statistics.median(times)


def lateness(url: str, escalations: int, spread: float, threads: int, tmp: Path) -> None:
    os.environ["TOCSIN_WEBHOOK_SECRET"] = SECRET
    with receiver() as sink:
        tocsin = Tocsin.open(Settings.load(data_dir=tmp, database_url=url))
        tocsin.engine.threads = threads
        configure(tocsin.database, sink, tmp / "config")
        # Written against a placeholder start, then shifted to begin now: writing
        # 10,000 escalations takes a while and must not count as lateness.
        placeholder = datetime.now(UTC) + timedelta(days=1)
        written = time.perf_counter()
        with tocsin.database.transaction() as session:
            for n in range(escalations):
                runs.start(
                    session,
                    subject_type="bench",
                    subject_key=str(n),
                    title=f"Alert {n}",
                    policy_name=f"bench-{n % PEOPLE}",
                    urgency=Urgency.HIGH,
                    now=placeholder + timedelta(seconds=spread * n / escalations),
                )
        print(f"  {escalations} escalations written in {time.perf_counter() - written:.1f} s")
        began = datetime.now(UTC) + timedelta(seconds=1)
        shift = placeholder - began
        with tocsin.database.transaction() as session:
            jobs = session.execute(select(Job.id, Job.run_at)).all()
            session.execute(update(Job), [{"id": i, "run_at": at - shift} for i, at in jobs])
            started = session.execute(select(EscalationRun.id, EscalationRun.started_at)).all()
            session.execute(
                update(EscalationRun),
                [
                    {"id": i, "started_at": at - shift, "next_step_at": at - shift}
                    for i, at in started
                ],
            )
        cpu = time.process_time()
        tocsin.engine.start()
        expected = 2 * escalations
        deadline = time.monotonic() + spread + 60 + 1800
        while sink.stats()["received"] < expected:
            assert time.monotonic() < deadline, "timed out waiting for every page"
            time.sleep(0.5)
        tocsin.engine.stop()
        cpu = time.process_time() - cpu
        with tocsin.database.sessions() as session:
            rows = session.execute(
                select(Job.run_at, Job.finished_at).where(
                    Job.kind == paging_jobs.STEP.name, Job.state == "done"
                )
            ).all()
            done, last = session.execute(
                select(func.count(), func.max(Job.finished_at)).where(Job.state == "done")
            ).one()
        late = [(finished - due).total_seconds() for due, finished in rows if finished]
        windows: dict[int, list[float]] = {}
        for due, finished in rows:
            if finished:
                windows.setdefault(int((due - began).total_seconds() // 20) * 20, []).append(
                    (finished - due).total_seconds()
                )
        stats = sink.stats()
        elapsed = (last - began).total_seconds() if last is not None else 0.0
        print(f"  step lateness: {describe(late)}; {verdict(late, LATENESS_TARGET)}")
        print(
            "  p99 by due time: "
            + ", ".join(
                f"{start}-{start + 20} s {percentile(values, 0.99) * 1000:.0f} ms"
                for start, values in sorted(windows.items())
            )
        )
        print(
            f"  webhooks received: {stats['received']} of {expected}, "
            f"{stats['bad_signatures']} with a bad signature"
        )
        print(
            f"  engine: {done} jobs in {elapsed:.1f} s since the first was due, "
            f"process CPU {cpu:.1f} s ({cpu / done * 1000:.2f} ms per job)"
        )
        print(f"  floor: one POST to the receiver takes {sink_floor(sink) * 1000:.2f} ms")
        tocsin.close()


@dataclass
class Sent:
    sent: float
    accepted: float


def alert_request(port: int, key: str, n: int) -> bytes:
    """The raw HTTP request of a PagerDuty Events API v2 trigger for ``Alert n``."""
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": f"bench-{n}",
        "payload": {"summary": f"Alert {n}", "source": f"host-{n}", "severity": "error"},
    }
    body = json.dumps(event).encode()
    head = (
        f"POST /v2/enqueue HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> int | None:
    """Read one HTTP/1.1 answer; its status code (None: the server had closed the connection)."""
    first = await reader.readline()
    if not first:
        return None
    status = int(first.split(b" ")[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def send_all(
    keys: list[str], port: int, rate: float, count: int
) -> tuple[dict[str, Sent], float]:
    """Send ``count`` new alerts at ``rate`` per second, on schedule, concurrently.

    Raw HTTP/1.1 over kept-alive connections, each request encoded beforehand:
    the generator shares the machine with the server, PostgreSQL and the
    receiver, so it must cost as little as it can (an HTTP client library
    spent about 2 ms of CPU per request here).
    """
    requests = [alert_request(port, keys[n % PEOPLE], n) for n in range(count)]
    results: dict[str, Sent] = {}
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def send(n: int) -> None:
        sent = time.monotonic()
        status = None
        if idle:
            # The server closes connections idle for a few seconds: then open another.
            reader, writer = idle.pop()
            writer.write(requests[n])
            status = await _answer(reader)
        if status is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(requests[n])
            status = await _answer(reader)
        accepted = time.monotonic()
        assert status == 202, f"alert {n} answered {status}"
        idle.append((reader, writer))
        results[f"Alert {n}"] = Sent(sent, accepted)

    began = time.monotonic()
    tasks = []
    for n in range(count):
        delay = began + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    sending = time.monotonic() - began
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return results, sending


def first_page(url: str, rate: float, seconds: float, tmp: Path) -> None:
    with receiver() as sink:
        database = Database(Settings.load(data_dir=tmp, database_url=url))
        migrate.upgrade(database.engine)
        configure(database, sink, tmp / "config")
        with database.transaction() as session:
            keys = [
                integrations.create(
                    session,
                    f"bench-{n}",
                    IntegrationConfig(
                        service=f"svc-{n}", type="pagerduty", rate_limit_per_minute=100_000_000
                    ),
                    actor="bench",
                    now=datetime.now(UTC),
                )
                for n in range(PEOPLE)
            ]
        port = free_port()
        env = environment(url, tmp, TOCSIN_WEBHOOK_SECRET=SECRET, TOCSIN_HANDLER_MODULES="")
        server = start(["serve", "--port", str(port), "--log-level", "warning"], env, tmp / "s.log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _up(base), timeout=120, what="the server")
            count = int(rate * seconds)
            cpu = _cpu_seconds(server.pid)
            results, sending = asyncio.run(send_all(keys, port, rate, count))
            arrivals: dict[str, Any] = {}

            def arrived() -> bool:
                arrivals.update(sink.arrivals())
                return len(arrivals) >= count

            wait_for(arrived, timeout=120, what="every first page")
            cpu = _cpu_seconds(server.pid) - cpu
            answered = [each.accepted - each.sent for each in results.values()]
            delays = [arrivals[title] - each.accepted for title, each in results.items()]
            from_sent = [arrivals[title] - each.sent for title, each in results.items()]
            print(f"  sent {count} alerts at {count / sending:.0f} alerts/s (asked {rate:.0f})")
            print(f"  alert accepted (202): {describe(answered)}")
            target = verdict(delays, FIRST_PAGE_TARGET)
            print(f"  accepted to first page: {describe(delays)}; {target}")
            print(f"  sent to first page: {describe(from_sent)}")
            print(
                f"  server CPU: {cpu:.1f} s, {cpu / count * 1000:.1f} ms per alert "
                "(ingest, hand-over, escalation, step and delivery)"
            )
            print(f"  webhooks with a bad signature: {sink.stats()['bad_signatures']}")
        finally:
            stop(server)
            database.dispose()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--escalations", type=int, default=10_000)
    parser.add_argument(
        "--spread", type=float, default=100.0, help="seconds over which first steps fall due"
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", default=os.environ.get("TOCSIN_TEST_POSTGRES_URL"))
    parser.add_argument(
        "--backend",
        choices=("both", "sqlite", "postgresql"),
        default="both",
        help="both means PostgreSQL too when a URL is given",
    )
    parser.add_argument(
        "--part", choices=("both", "lateness", "first-page"), default="both", help="what to run"
    )
    args = parser.parse_args()
    if args.postgres:
        os.environ["TOCSIN_TEST_POSTGRES_URL"] = args.postgres
    backends = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    if args.backend != "both":
        backends = [args.backend]
    print(
        f"ceilings: step lateness p99 < {LATENESS_TARGET * 1000:.0f} ms; "
        f"first page p99 < {FIRST_PAGE_TARGET * 1000:.0f} ms; "
        f"GoAlert cycle {GOALERT_CYCLE * 1000:.0f} ms"
    )
    for backend in backends:
        print(f"[{backend}]")
        with tempfile.TemporaryDirectory() as directory:
            tmp = Path(directory)
            if args.part in ("both", "lateness"):
                with database_url(backend, tmp / "a") as url:
                    (tmp / "a").mkdir(exist_ok=True)
                    lateness(url, args.escalations, args.spread, args.threads, tmp / "a")
            if args.part in ("both", "first-page"):
                with database_url(backend, tmp / "b") as url:
                    (tmp / "b").mkdir(exist_ok=True)
                    first_page(url, args.rate, args.seconds, tmp / "b")


if __name__ == "__main__":
    main()
