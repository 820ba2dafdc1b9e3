"""Scenarios against real ``tocsin serve`` processes sharing a clock file (GoAlert's smoke style).

Each test starts the server(s), seeds configuration, moves the shared clock
forward, and asserts exactly which messages arrived at the HTTP sink and the
SMTP server, then that nothing else did. "Nothing else" is checked once the
servers have no job left that is due at the clock's instant.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.paging.conftest import WEBHOOK_SECRET, apply_files, people_yaml
from tests.paging.harness import DEVICES
from tests.support import processes
from tests.support.databases import backends, database_url
from tests.support.sinks import HttpSink, SmtpSink, handoff, http_sink, smtp_sink
from tocsin.auth import accounts
from tocsin.auth.tables import User
from tocsin.db import migrate
from tocsin.db.database import Database
from tocsin.domain.escalation import Urgency
from tocsin.domain.schedule import oncall_at
from tocsin.engine.tables import Job
from tocsin.kernel.file_clock import FileClock
from tocsin.kernel.settings import Settings
from tocsin.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tocsin.paging import runs
from tocsin.paging.directory import Directory
from tocsin.paging.tables import EscalationEvent

pytestmark = pytest.mark.slow

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """Servers, their database, the shared clock and the devices messages arrive at."""

    tmp: Path
    url: str
    database: Database
    clock_file: Path
    sink: HttpSink
    smtp: SmtpSink
    env: dict[str, str]
    servers: list[tuple[subprocess.Popen[bytes], str]]

    def now(self) -> datetime:
        return FileClock(self.clock_file).now()

    def move(self, **delta: float) -> None:
        FileClock.write(self.clock_file, self.now() + timedelta(**delta))

    def serve(self, name: str) -> str:
        """Start a server and wait until it answers (on another port if this one was taken)."""
        for attempt in range(3):
            port = processes.free_port()
            log = self.tmp / f"{name}-{attempt}.log"
            process = processes.start(["serve", "--port", str(port)], self.env, log)
            base = f"http://127.0.0.1:{port}"
            processes.wait_for(
                lambda: _healthy(base) or process.poll() is not None,  # noqa: B023
                timeout=120,
                what=f"{name} to answer",
            )
            if process.poll() is None:
                self.servers.append((process, base))
                return base
        raise AssertionError(f"{name} did not start; see {log}")

    def idle(self) -> bool:
        """No job is due (or running) at the clock's instant."""
        with self.database.sessions() as session:
            busy = session.scalar(
                select(func.count()).where(
                    Job.state.in_(("pending", "running")), Job.run_at <= self.now()
                )
            )
        return busy == 0

    def settle(self) -> None:
        processes.wait_for(self.idle, timeout=120, what="the servers to run every due job")

    def token(self) -> str:
        with self.database.transaction() as session:
            user = session.scalar(select(User).where(User.name == "root"))
            assert user is not None
            _, plain = accounts.create_token(session, user, now=self.now(), actor="test")
        return plain

    def on_call(self, layer: str) -> str:
        with self.database.sessions() as session:
            schedule = Directory(session).schedule("on-call-schedule", self.now())
        assert schedule is not None
        person = {each.layer: each.person for each in oncall_at(schedule, self.now())}[layer]
        assert person is not None
        return person

    def webhooks(self, path: str) -> int:
        return len([r for r in self.sink.received(path) if not handoff(r)])

    def received(self) -> dict[str, int]:
        """How many messages each person got, over every device (handoff reports aside)."""
        counts: dict[str, int] = {}
        for person, (path, address) in DEVICES.items():
            total = self.webhooks(path) if path else 0
            total += len([e for e in self.smtp.to(address) if not handoff(e)]) if address else 0
            if total:
                counts[person] = total
        return counts

    def messages(self) -> int:
        webhooks = [each for each in self.sink.received() if not handoff(each)]
        return len(webhooks) + len([each for each in self.smtp.emails if not handoff(each)])


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def crowd_yaml(sink: HttpSink, people: int) -> str:
    """``people`` people on webhooks and a two-step policy per person, so load spreads out."""
    users = "\n".join(
        f'  p{n}:\n    contact_methods: [{{type: webhook, url: "{sink.url(f"/p{n}")}"}}]'
        for n in range(people)
    )
    policies = "\n".join(
        f"  load-{n}:\n    steps:\n"
        f"      - {{targets: [{{user: p{n}}}], timeout_minutes: 5}}\n"
        f"      - {{targets: [{{user: p{(n + 1) % people}}}], timeout_minutes: 5}}"
        for n in range(people)
    )
    return f"users:\n{users}\nescalation_policies:\n{policies}\n"


@contextmanager
def world(tmp: Path, backend: str, crowd: int = 0) -> Iterator[World]:
    with database_url(backend, tmp) as url, http_sink() as sink, smtp_sink() as smtp:
        database = Database(Settings.load(data_dir=tmp, database_url=url))
        migrate.upgrade(database.engine)
        clock_file = tmp / "clock"
        FileClock.write(clock_file, START)
        paging = "paging:\n  rate_limits:\n    webhook: {count: 100000, window_minutes: 1}\n"
        apply_files(
            database,
            tmp / "config",
            {
                "people.yaml": people_yaml(sink),
                "paging.yaml": paging,
                "crowd.yaml": crowd_yaml(sink, crowd) if crowd else "{}\n",
            },
            START,
        )
        env = processes.environment(
            url,
            tmp,
            TOCSIN_CLOCK_FILE=str(clock_file),
            TOCSIN_WEBHOOK_SECRET=WEBHOOK_SECRET,
            TOCSIN_MAIL_HOST=smtp.host,
            TOCSIN_MAIL_PORT=str(smtp.port),
            TOCSIN_PUBLIC_URL="https://tocsin.example.com",
            TOCSIN_HANDLER_MODULES="",
        )
        found = World(tmp, url, database, clock_file, sink, smtp, env, [])
        try:
            yield found
        finally:
            for process, _ in found.servers:
                processes.stop(process)
            database.dispose()


def tocsin_cli(w: World, base: str, *args: str) -> str:
    env = dict(w.env, TOCSIN_URL=base, TOCSIN_TOKEN=w.token(), COLUMNS="200")
    result = subprocess.run(
        [*processes.TOCSIN, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=processes.REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("backend", backends())
def test_seed_chain_through_a_real_server(backend: str, tmp_path: Path) -> None:
    with world(tmp_path, backend) as w:
        base = w.serve("serve")
        primary, secondary = w.on_call("primary"), w.on_call("secondary")
        response = httpx.post(
            f"{base}/api/v1/escalations",
            json={"policy": "on-call-schedule", "title": "Checkout down", "service": "api"},
            headers={"Authorization": f"Bearer {w.token()}"},
        )
        assert response.status_code == 201, response.text
        processes.wait_for(lambda: w.received() == {primary: 1}, timeout=30, what="primary")
        w.move(minutes=5)
        processes.wait_for(
            lambda: w.received() == {primary: 1, secondary: 1}, timeout=30, what="secondary"
        )
        assert w.messages() == 2
        for request in w.sink.received():
            assert verify(
                WEBHOOK_SECRET,
                request.headers[TIMESTAMP_HEADER],
                request.body,
                request.headers[SIGNATURE_HEADER],
                w.now(),
            )
        listing = tocsin_cli(w, base, "page", "list", "--user", secondary)
        assert "Checkout down" in listing
        page_id = httpx.get(
            f"{base}/api/v1/pages",
            params={"user": secondary},
            headers={"Authorization": f"Bearer {w.token()}"},
        ).json()[0]["id"]
        acked = tocsin_cli(w, base, "ack", str(page_id))
        assert "acknowledged by root" in acked
        w.move(minutes=30)
        w.settle()
        assert w.received() == {primary: 1, secondary: 1}
        assert w.messages() == 2


@pytest.mark.parametrize("backend", backends())
def test_a_step_fires_once_and_on_time_after_the_server_is_killed(
    backend: str, tmp_path: Path
) -> None:
    with world(tmp_path, backend) as w:
        w.serve("first")
        with w.database.transaction() as session:
            run = runs.start(
                session,
                subject_type="manual",
                subject_key="restart",
                title="Queue backed up",
                policy_name="b-thrice",
                urgency=Urgency.HIGH,
                now=w.now(),
            )
            run_id = run.id
        processes.wait_for(lambda: w.webhooks("/b") == 1, timeout=30, what="the first step")
        w.settle()
        process, _ = w.servers.pop()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        w.move(minutes=5)
        due = w.now()
        w.serve("second")
        processes.wait_for(lambda: w.webhooks("/b") == 2, timeout=60, what="the second step")
        w.settle()
        assert w.received() == {"engineer-b": 2}
        assert w.messages() == 2
        with w.database.sessions() as session:
            steps = session.scalars(
                select(EscalationEvent.at).where(
                    EscalationEvent.run_id == run_id, EscalationEvent.kind == "step"
                )
            ).all()
        assert steps == [START, due], "the second step ran once, at its due time"


@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_three_servers_deliver_a_thousand_escalations_exactly_once(tmp_path: Path) -> None:
    if "postgresql" not in backends():
        pytest.skip("needs TOCSIN_TEST_POSTGRES_URL")
    count, people = 1000, 50
    with world(tmp_path, "postgresql", crowd=people) as w:
        for n in range(3):
            w.serve(f"serve{n}")
        with w.database.transaction() as session:
            for n in range(count):
                runs.start(
                    session,
                    subject_type="manual",
                    subject_key=f"load-{n}",
                    title=f"Alert {n}",
                    policy_name=f"load-{n % people}",
                    urgency=Urgency.HIGH,
                    now=w.now(),
                )
        processes.wait_for(lambda: len(w.sink.received()) >= count, timeout=400, what="first pages")
        w.move(minutes=5)
        processes.wait_for(
            lambda: len(w.sink.received()) >= 2 * count, timeout=400, what="second pages"
        )
        w.settle()
        received = w.sink.received()
        deliveries = Counter(r.headers["X-Tocsin-Delivery"] for r in received)
        assert len(deliveries) == 2 * count and set(deliveries.values()) == {1}
        paged = Counter((r.path, r.json()["pages"][0]["title"]) for r in received)
        expected = Counter(
            {
                (f"/p{(n % people + step) % people}", f"Alert {n}"): 1
                for n in range(count)
                for step in (0, 1)
            }
        )
        assert paged == expected
        assert w.smtp.emails == []
