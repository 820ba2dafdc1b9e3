"""Several worker processes on one database: every job runs to completion exactly once."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from tests.support import processes
from tests.support.databases import backends, database_url
from tests.support.recording_handlers import EFFECTS_DDL
from tocsin.db import migrate
from tocsin.db.database import Database
from tocsin.engine.tables import Job
from tocsin.kernel.clock import SystemClock
from tocsin.kernel.settings import Settings

pytestmark = pytest.mark.slow


def prepare(url: str, data_dir: Path, kind: str, count: int) -> Database:
    database = Database(Settings.load(data_dir=data_dir, database_url=url))
    migrate.upgrade(database.engine)
    now = SystemClock().now()
    with database.transaction() as session:
        session.execute(text(EFFECTS_DDL))
        session.execute(
            insert(Job),
            [
                {
                    "kind": kind,
                    "payload": {"n": n},
                    "run_at": now,
                    "attempts": 0,
                    "max_attempts": 5,
                    "state": "pending",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
    return database


def done_count(database: Database) -> int:
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).where(Job.state == "done")) or 0)


def started_runs(log_dir: Path) -> Counter[int]:
    runs: Counter[int] = Counter()
    for log in log_dir.glob("runs-*.log"):
        runs.update(int(line) for line in log.read_text().split())
    return runs


def effects(database: Database) -> Counter[int]:
    with database.sessions() as session:
        rows = session.execute(text("SELECT job_id FROM test_job_effects")).scalars()
        return Counter(int(job_id) for job_id in rows)


@pytest.mark.postgres
def test_three_workers_run_ten_thousand_jobs_exactly_once(tmp_path: Path) -> None:
    if "postgresql" not in backends():
        pytest.skip("needs TOCSIN_TEST_POSTGRES_URL")
    count = 10_000
    with database_url("postgresql", tmp_path) as url:
        database = prepare(url, tmp_path, "test.record_run", count)
        env = processes.environment(url, tmp_path, TOCSIN_TEST_RUN_LOG_DIR=str(tmp_path))
        workers = [
            processes.start(["worker", "--threads", "2"], env, tmp_path / f"worker{n}.log")
            for n in range(3)
        ]
        with processes.running(workers):
            processes.wait_for(
                lambda: done_count(database) == count, timeout=400, what=f"{count} jobs done"
            )
        runs = started_runs(tmp_path)
        committed = effects(database)
        database.dispose()
    assert len(runs) == count and set(runs.values()) == {1}, "some job started twice"
    assert len(committed) == count and set(committed.values()) == {1}
    per_process = [len(log.read_text().split()) for log in tmp_path.glob("runs-*.log")]
    assert len(per_process) == 3, "every worker process should have taken a share"


@pytest.mark.parametrize("backend", backends())
def test_jobs_of_a_killed_worker_are_finished_by_another(backend: str, tmp_path: Path) -> None:
    count = 10
    with database_url(backend, tmp_path) as url:
        database = prepare(url, tmp_path, "test.hold", count)
        lease = {"TOCSIN_JOB_LEASE_SECONDS": "2", "TOCSIN_TEST_RUN_LOG_DIR": str(tmp_path)}
        stuck_env = processes.environment(url, tmp_path, TOCSIN_TEST_HOLD_SECONDS="600", **lease)
        stuck = processes.start(["worker", "--threads", "1"], stuck_env, tmp_path / "stuck.log")
        with processes.running([stuck]):
            processes.wait_for(
                lambda: bool(started_runs(tmp_path)),
                timeout=60,
                what="the first worker to start a job",
            )
            with database.sessions() as session:
                held = session.scalar(
                    select(func.count()).where(
                        Job.state == "running", Job.lease_owner.like(f"%:{stuck.pid}:%")
                    )
                )
            assert held == count, "the first worker should hold every job when it dies"
            os.kill(stuck.pid, signal.SIGKILL)
            stuck.wait(10)

        rescuer = processes.start(
            ["worker"], processes.environment(url, tmp_path, **lease), tmp_path / "rescuer.log"
        )
        with processes.running([rescuer]):
            processes.wait_for(
                lambda: done_count(database) == count,
                timeout=120,
                what="the second worker to finish every job",
            )
        committed = effects(database)
        with database.sessions() as session:
            attempts = set(session.scalars(select(Job.attempts).where(Job.kind == "test.hold")))
        database.dispose()
    assert sorted(committed) == list(range(1, count + 1))
    assert set(committed.values()) == {1}, "a job's effect was committed twice"
    assert attempts == {2}, "every job was tried by the dead worker and then once more"
