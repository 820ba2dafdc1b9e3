"""Paging benchmark: step lateness under many concurrent escalations, and alert-to-first-page.

Part 1, **step lateness**: ``--escalations`` escalations (default 10,000) are
in flight at once. Their first steps come due spread over ``--spread``
seconds, their second steps one minute later; every step pages one of 50
people by signed webhook to a local HTTP sink. Lateness of a step is when its
job finished minus when it was due. The engine runs in-process with
``--threads`` worker threads on the real clock.

Part 2, **accepted request to first page**: a real ``tocsin serve`` process
receives ``--rate`` escalation requests per second (``POST
/api/v1/escalations``) for ``--seconds`` seconds; for each, the time from the
201 answer to the first signed webhook arriving at the sink.

Ceilings printed in the same run: the step lateness target (p99 < 1 s), the
first-page target (p99 < 250 ms), GoAlert's engine cycle (5 s, the lateness a
5-second poll loop would add), and the round trip of an empty POST to the
sink (the floor of any webhook delivery on this machine).

Run: ``.venv/bin/python bench/paging.py [--postgres URL]``; both backends run
when a PostgreSQL URL is given (or ``TOCSIN_TEST_POSTGRES_URL`` is set).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.databases import database_url  # noqa: E402
from tests.support.processes import environment, free_port, start, stop, wait_for  # noqa: E402
from tests.support.sinks import HttpSink, http_sink  # noqa: E402
from tocsin.auth import accounts  # noqa: E402
from tocsin.config.apply import apply  # noqa: E402
from tocsin.config.validate import validate_directory  # noqa: E402
from tocsin.domain.escalation import Urgency  # noqa: E402
from tocsin.paging import runs  # noqa: E402
from tocsin.service import Tocsin  # noqa: E402
from tocsin.settings import Settings  # noqa: E402
from tocsin.store import migrate  # noqa: E402
from tocsin.store.db import Database  # noqa: E402
from tocsin.store.paging import EscalationRun  # noqa: E402
from tocsin.store.tables import Job, User  # noqa: E402

PEOPLE = 50
SECRET = "bench-secret"


def config(sink: HttpSink) -> str:
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
    return (
        f"users:\n{users}\n  root:\n    role: admin\nescalation_policies:\n{policies}\n"
        "paging:\n  rate_limits:\n    webhook: {count: 1000000, window_minutes: 1}\n"
    )


def configure(database: Database, sink: HttpSink, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.yaml").write_text(config(sink))
    now = datetime.now(UTC)
    validation = validate_directory(directory, now=now)
    assert validation.ok, validation.errors
    with database.transaction() as session:
        apply(session, validation.configuration, now=now)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def describe(values: list[float], unit: str = "ms", scale: float = 1000) -> str:
    return (
        f"p50 {percentile(values, 0.5) * scale:.0f} {unit}, "
        f"p99 {percentile(values, 0.99) * scale:.0f} {unit}, "
        f"max {max(values) * scale:.0f} {unit} (n={len(values)})"
    )


def sink_floor(sink: HttpSink) -> float:
    with httpx.Client() as client:
        times = []
        for _ in range(200):
            began = time.perf_counter()
            client.post(sink.url("/floor"), content=b"{}")
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def lateness(url: str, escalations: int, spread: float, threads: int, tmp: Path) -> None:
    os.environ["TOCSIN_WEBHOOK_SECRET"] = SECRET
    with http_sink() as sink:
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
        shift = placeholder - (datetime.now(UTC) + timedelta(seconds=1))
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
        tocsin.engine.start()
        expected = 2 * escalations
        wait_for(
            lambda: len(sink.received()) >= expected,
            timeout=spread + 60 + 1800,
            what="every page",
        )
        tocsin.engine.stop()
        with tocsin.database.sessions() as session:
            rows = session.execute(
                select(Job.run_at, Job.finished_at).where(
                    Job.kind == runs.STEP_JOB, Job.state == "done"
                )
            ).all()
        late = [(finished - due).total_seconds() for due, finished in rows if finished]
        print(f"  step lateness: {describe(late)}")
        print(f"  webhooks received: {len(sink.received())} of {expected}")
        print(f"  floor: one POST to the sink takes {sink_floor(sink) * 1000:.2f} ms")
        tocsin.close()


def first_page(url: str, rate: float, seconds: float, tmp: Path) -> None:
    with http_sink() as sink:
        database = Database(Settings.load(data_dir=tmp, database_url=url))
        migrate.upgrade(database.engine)
        configure(database, sink, tmp / "config")
        with database.transaction() as session:
            root = session.scalar(select(User).where(User.name == "root"))
            assert root is not None
            _, token = accounts.create_token(session, root, now=datetime.now(UTC), actor="bench")
        port = free_port()
        env = environment(url, tmp, TOCSIN_WEBHOOK_SECRET=SECRET, TOCSIN_HANDLER_MODULES="")
        server = start(["serve", "--port", str(port), "--log-level", "warning"], env, tmp / "s.log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _up(base), timeout=120, what="the server")
            accepted: dict[str, float] = {}
            count = int(rate * seconds)
            headers = {"Authorization": f"Bearer {token}"}
            lock = threading.Lock()

            def send(n: int) -> None:
                title = f"Alert {n}"
                # A client per request: httpx's sync pool is not safe across many threads.
                response = httpx.post(
                    f"{base}/api/v1/escalations",
                    json={"policy": f"bench-{n % PEOPLE}", "title": title},
                    headers=headers,
                    timeout=60,
                )
                assert response.status_code == 201, response.text
                with lock:
                    accepted[title] = time.perf_counter()

            arrivals: dict[str, float] = {}
            original = sink.requests

            class Recording(list):  # type: ignore[type-arg]
                def append(self, request: object) -> None:
                    super().append(request)
                    title = request.json()["pages"][0]["title"]  # type: ignore[attr-defined]
                    arrivals.setdefault(title, time.perf_counter())

            sink.requests = Recording(original)
            began = time.perf_counter()
            workers = []
            for n in range(count):
                delay = began + n / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                thread = threading.Thread(target=send, args=(n,))
                thread.start()
                workers.append(thread)
            for thread in workers:
                thread.join()
            wait_for(lambda: len(arrivals) >= count, timeout=120, what="every first page")
            delays = [arrivals[title] - accepted[title] for title in accepted]
            achieved = count / (max(accepted.values()) - began)
            print(f"  sent {count} at {achieved:.0f} requests/s")
            print(f"  accepted to first page: {describe(delays)}")
        finally:
            stop(server)
            database.dispose()


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
    args = parser.parse_args()
    if args.postgres:
        os.environ["TOCSIN_TEST_POSTGRES_URL"] = args.postgres
    backends = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    if args.backend != "both":
        backends = [args.backend]
    print("ceilings: step lateness p99 < 1000 ms; first page p99 < 250 ms; GoAlert cycle 5000 ms")
    for backend in backends:
        print(f"[{backend}]")
        with tempfile.TemporaryDirectory() as directory:
            tmp = Path(directory)
            with database_url(backend, tmp / "a") as url:
                (tmp / "a").mkdir(exist_ok=True)
                lateness(url, args.escalations, args.spread, args.threads, tmp / "a")
            with database_url(backend, tmp / "b") as url:
                (tmp / "b").mkdir(exist_ok=True)
                first_page(url, args.rate, args.seconds, tmp / "b")


if __name__ == "__main__":
    main()
