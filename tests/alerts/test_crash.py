"""Never lose an alert: 5,000 alerts while the server is SIGKILLed and restarted twice.

A client posts 5,000 PagerDuty events (each a new dedup key, spread over 50
grouping shards) from four threads and retries whatever did not get a 2xx
(connection refused, reset, 5xx) until it does. Meanwhile the server is
killed with SIGKILL twice and started again. Afterwards every alert that got
a 2xx is stored exactly once, there is exactly one group per shard, and each
group's paging job exists once and ran once.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.alerts.support import configure, wait_until_paged
from tests.support import processes
from tocsin.alerts import handover, integrations
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.kernel.settings import Settings

pytestmark = pytest.mark.slow

ALERTS = 5_000
SHARDS = 50
THREADS = 4
KILL_AFTER = (1_500, 3_200)
DEADLINE_SECONDS = 100


class Server:
    """A ``tocsin serve`` process that can be killed and started again on the same port."""

    def __init__(self, settings: Settings, directory: Path) -> None:
        self.port = processes.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = processes.environment(settings.database_url, settings.data_dir)
        self.log = directory / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = processes.start(
            ["serve", "--port", str(self.port), "--log-level", "warning"], self.env, self.log
        )

        def ready() -> bool:
            try:
                return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        processes.wait_for(ready, timeout=30, what="tocsin serve to answer /readyz")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None:
            processes.stop(self.process)


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    setup = Tocsin.open(settings)
    try:
        configure(
            setup,
            tmp_path / "config",
            {"alerting.yaml": 'alert_policies:\n  "*": {group_by: [group], group_window: 1d}\n'},
        )
        with setup.database.transaction() as session:
            key = integrations.create(
                session,
                "load",
                IntegrationConfig(
                    service="checkout", type="pagerduty", rate_limit_per_minute=10_000_000
                ),
                actor="test",
                now=setup.clock.now(),
            )
    finally:
        setup.close()
    running = Server(settings, tmp_path)
    running.start()
    try:
        yield running, key
    finally:
        running.stop()


def event(key: str, index: int) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": f"alert-{index}",
        "payload": {
            "summary": f"Alert {index}",
            "source": "crash-test",
            "severity": "warning",
            "group": f"shard-{index % SHARDS}",
            "custom_details": {"index": index},
        },
    }


@dataclass
class Sent:
    """What the sending threads saw: the dedup keys answered 2xx, and what went wrong."""

    deadline: float
    accepted: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def send(url: str, key: str, indexes: range, sent: Sent) -> None:
    """Send each alert until it gets a 2xx, through restarts and 503s."""
    with httpx.Client(base_url=url, timeout=5) as client:
        for index in indexes:
            body = event(key, index)
            while True:
                if time.monotonic() > sent.deadline:
                    sent.failures.append(f"alert-{index} never got a 2xx")
                    return
                try:
                    answer = client.post("/v2/enqueue", json=body)
                except httpx.TransportError:
                    time.sleep(0.05)  # allowed: the server process is restarting
                    continue
                if answer.status_code == 202:
                    with sent.lock:
                        sent.accepted.add(answer.json()["dedup_key"])
                    break
                if answer.status_code < 500:
                    sent.failures.append(f"alert-{index}: {answer.status_code} {answer.text}")
                    return
                time.sleep(0.05)  # allowed: a 503 asks the client to retry


def stored_after(settings: Settings) -> tuple[dict[Any, Any], list[int], list[Any], dict[Any, Any]]:
    """Once every paging job is done: alerts per dedup key, groups, paging jobs, paging events."""
    check = Tocsin.open(settings, upgrade=False)
    try:
        wait_until_paged(check)
        with check.database.sessions() as session:
            stored = dict(
                session.execute(
                    select(Alert.dedup_key, func.count()).group_by(Alert.dedup_key)
                ).all()
            )
            groups = list(session.scalars(select(AlertGroup.id)).all())
            jobs = list(
                session.execute(
                    select(Job.idempotency_key, Job.state, Job.attempts).where(
                        Job.kind == handover.OPENED.name
                    )
                ).all()
            )
            paging_events = dict(
                session.execute(
                    select(AlertEvent.group_id, func.count())
                    .where(AlertEvent.kind == "paging")
                    .group_by(AlertEvent.group_id)
                ).all()
            )
    finally:
        check.close()
    return stored, groups, jobs, paging_events


def test_every_acknowledged_alert_is_stored_once_and_each_group_pages_once(
    server: tuple[Server, str], settings: Settings
) -> None:
    running, key = server
    sent = Sent(deadline=time.monotonic() + DEADLINE_SECONDS)
    accepted, failures = sent.accepted, sent.failures
    share = ALERTS // THREADS
    senders = [
        threading.Thread(
            target=send, args=(running.url, key, range(n * share, (n + 1) * share), sent)
        )
        for n in range(THREADS)
    ]
    for sender in senders:
        sender.start()
    for threshold in KILL_AFTER:

        def reached(threshold: int = threshold) -> bool:
            return len(accepted) >= threshold or bool(failures)

        processes.wait_for(reached, timeout=DEADLINE_SECONDS, what=f"{threshold} accepted alerts")
        running.kill()
        running.start()
    for sender in senders:
        sender.join(DEADLINE_SECONDS)
    assert failures == []
    assert len(accepted) == ALERTS

    stored, groups, jobs, paging_events = stored_after(settings)
    assert set(stored) == accepted
    assert set(stored.values()) == {1}
    assert len(groups) == SHARDS
    assert sorted(str(key) for key, _, _ in jobs) == sorted(
        handover.idempotency_key(group) for group in groups
    )
    assert {state for _, state, _ in jobs} == {"done"}
    assert paging_events == dict.fromkeys(groups, 1)
