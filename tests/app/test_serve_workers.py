"""``tocsin serve --workers``: what is refused before anything starts; workers without engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tocsin.app.cli import app
from tocsin.app.serve import SQLITE_ONE_WORKER
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings


@dataclass(frozen=True)
class Nothing:
    """The payload of a test job that needs none."""


WAITING = JobKind("test.waiting", Nothing)


def test_more_than_one_worker_on_sqlite_is_refused_saying_why_and_what_to_do(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == f"error: {SQLITE_ONE_WORKER}"
    assert "write lock" in SQLITE_ONE_WORKER
    assert "PostgreSQL" in SQLITE_ONE_WORKER
    assert not (tmp_path / "tocsin.db").exists()


def test_more_engine_workers_than_workers_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--data-dir", str(tmp_path), "--workers", "1", "--engine-workers", "2"]
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: --engine-workers: at most --workers (1), got 2"


def test_a_worker_without_engine_is_ready_while_the_jobs_are_on_time(
    settings: Settings, clock: FakeClock
) -> None:
    tocsin = Tocsin.open(settings, clock=clock)
    tocsin.runs_engine = False  # a worker beyond --engine-workers
    with TestClient(create_app(tocsin)) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 200
        assert answer.json()["checks"]["engine"] == "elsewhere"
        assert not tocsin.engine.running
        with tocsin.database.transaction() as session:
            jobs.enqueue(session, WAITING, Nothing(), now=clock.now())
        clock.advance(seconds=tocsin.settings.ready_overdue_seconds + 1)
        late = client.get("/readyz")  # no engine here, and none elsewhere took the job
        assert late.status_code == 503
        assert late.json()["checks"] == {
            "database": "ok",
            "migrations": "current",
            "jobs": "overdue",
            "engine": "elsewhere",
        }
