"""Three ``tocsin serve`` processes on one PostgreSQL ingest a storm without a deadlock.

Thirty senders (ten per process) post 6,000 PagerDuty events whose dedup
keys overlap across the processes (each key is sent several times, to
different processes) and fall into a few dozen groups. Every process commits
its requests in batches (:mod:`tocsin.alerts.committer`), so batches of
different processes touch the same alerts and groups at once. Afterwards:

- PostgreSQL counted no deadlock in the test's own database
  (``pg_stat_database.deadlocks``);
- each accepted dedup key is stored once, as one open alert, and its
  occurrences are the number of 2xx answers it got: every 2xx stored once;
- there is one group per shard, each with exactly one paging job, which ran
  once.

Before alerts and groups were locked in one order (:mod:`tocsin.alerts.locking`)
this storm met a deadlock every few hundred events (12 and 17 in 6,000; 58 in
20,000). 6,000 events keep the test near a minute on two cores.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.alerts.support import configure, wait_until_paged
from tests.support import processes
from tests.support.databases import postgres_base_url
from tocsin.alerts import handover, integrations
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.kernel.settings import Settings

pytestmark = pytest.mark.slow

SERVERS = 3
SENDERS_PER_SERVER = 10
EVENTS = 6_000
#: Distinct dedup keys: each is sent EVENTS / KEYS times, spread over the servers.
KEYS = 1_200
SHARDS = 40
DEADLINE_SECONDS = 300


@dataclass
class Database:
    """A database of the test's own, so that its ``pg_stat_database`` row is only this test's."""

    url: str
    name: str
    admin: Engine

    def idle(self) -> bool:
        """No backend is connected to the database any more."""
        with self.admin.connect() as connection:
            count = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.name},
            ).scalar_one()
        return int(count) == 0

    def deadlocks(self) -> int:
        """Deadlocks PostgreSQL counted in this database (flushed: see :meth:`idle`)."""
        with self.admin.connect() as connection:
            count = connection.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = :name"),
                {"name": self.name},
            ).scalar_one()
        return int(count)


@pytest.fixture
def database() -> Iterator[Database]:
    base = postgres_base_url()
    if base is None:
        pytest.skip("needs TOCSIN_TEST_POSTGRES_URL: many processes on one PostgreSQL")
    name = f"tocsin_ingest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield Database(url, name, admin)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def prepared(settings: Settings) -> str:
    """Migrate, group alerts by their ``group`` label, and make a PagerDuty key."""
    setup = Tocsin.open(settings)
    try:
        configure(
            setup,
            settings.data_dir / "config",
            {"alerting.yaml": 'alert_policies:\n  "*": {group_by: [group], group_window: 1d}\n'},
        )
        with setup.database.transaction() as session:
            return integrations.create(
                session,
                "storm",
                IntegrationConfig(
                    service="checkout", type="pagerduty", rate_limit_per_minute=10_000_000
                ),
                actor="test",
                now=setup.clock.now(),
            )
    finally:
        setup.close()


def serve(settings: Settings, directory: Path, number: int) -> tuple[Any, str]:
    port = processes.free_port()
    env = processes.environment(settings.database_url, settings.data_dir)
    server = processes.start(
        ["serve", "--port", str(port), "--log-level", "warning"],
        env,
        directory / f"serve-{number}.log",
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return server.poll() is not None

    processes.wait_for(ready, timeout=60, what=f"tocsin serve {number} to answer /readyz")
    assert server.poll() is None, f"tocsin serve {number} exited; see serve-{number}.log"
    return server, url


def event(key: str, index: int) -> dict[str, object]:
    alert = index % KEYS
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": f"alert-{alert}",
        "payload": {
            "summary": f"Alert {alert}",
            "source": "storm",
            "severity": "warning",
            "group": f"shard-{alert % SHARDS}",
            "custom_details": {"index": index},
        },
    }


@dataclass
class Sent:
    """2xx answers per dedup key, what went wrong, and the 503s retried."""

    deadline: float
    accepted: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    retried: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def send(url: str, key: str, indexes: range, sent: Sent) -> None:
    """Send each event until it gets a 2xx (a 503 asks to retry)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        for index in indexes:
            while True:
                if time.monotonic() > sent.deadline:
                    sent.failures.append(f"event {index} never got a 2xx")
                    return
                answer = client.post("/v2/enqueue", json=event(key, index))
                if answer.status_code == 202:
                    with sent.lock:
                        sent.accepted[answer.json()["dedup_key"]] += 1
                    break
                if answer.status_code != 503:
                    sent.failures.append(f"event {index}: {answer.status_code} {answer.text}")
                    return
                with sent.lock:
                    sent.retried += 1
                time.sleep(0.05)  # allowed: a 503 asks the client to retry


def storm(urls: list[str], key: str) -> Sent:
    """Send EVENTS events, SENDERS_PER_SERVER threads per server; each key goes to every server."""
    sent = Sent(deadline=time.monotonic() + DEADLINE_SECONDS)
    senders = SERVERS * SENDERS_PER_SERVER
    threads = [
        threading.Thread(
            target=send, args=(urls[n % SERVERS], key, range(n, EVENTS, senders), sent)
        )
        for n in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS)
    return sent


def stored(settings: Settings) -> tuple[dict[str, tuple[int, int]], list[int], list[Any], Any]:
    """Once paging is done: (alerts, occurrences) per key, groups, paging jobs, paging events."""
    check = Tocsin.open(settings, upgrade=False)
    try:
        wait_until_paged(check)
        with check.database.sessions() as session:
            alerts = {
                key: (count, total)
                for key, count, total in session.execute(
                    select(Alert.dedup_key, func.count(), func.sum(Alert.occurrences))
                    .where(Alert.status != "resolved")
                    .group_by(Alert.dedup_key)
                ).all()
            }
            groups = list(session.scalars(select(AlertGroup.id)).all())
            jobs = list(
                session.execute(
                    select(Job.idempotency_key, Job.state).where(Job.kind == handover.OPENED.name)
                ).all()
            )
            paging = Counter(
                session.scalars(select(AlertEvent.group_id).where(AlertEvent.kind == "paging"))
            )
    finally:
        check.close()
    return alerts, groups, jobs, paging


def test_three_processes_ingest_without_deadlock_storing_and_paging_once(
    database: Database, tmp_path: Path
) -> None:
    settings = Settings.load(data_dir=tmp_path, database_url=database.url)
    key = prepared(settings)
    servers = [serve(settings, tmp_path, number) for number in range(SERVERS)]
    started = time.monotonic()
    with processes.running([server for server, _ in servers]):
        sent = storm([url for _, url in servers], key)
        took = time.monotonic() - started
        assert sent.failures == []
        assert sum(sent.accepted.values()) == EVENTS
        alerts, groups, jobs, paging = stored(settings)

    # A backend's statistics reach pg_stat_database at the latest when it exits.
    processes.wait_for(database.idle, timeout=30, what="the servers' connections to close")
    deadlocks = database.deadlocks()
    print(f"{EVENTS} events in {took:.1f}s, {sent.retried} 503s retried, deadlocks {deadlocks}")
    assert deadlocks == 0
    assert alerts == {key: (1, count) for key, count in sent.accepted.items()}
    assert len(groups) == SHARDS
    assert sorted(str(job) for job, _ in jobs) == sorted(
        handover.idempotency_key(group) for group in groups
    )
    assert {state for _, state in jobs} == {"done"}
    assert paging == dict.fromkeys(groups, 1)
