"""Readiness tells the truth: database, schema and engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.db import migrate
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings


@dataclass(frozen=True)
class Nothing:
    """The payload of a test job that needs none."""


LATE = JobKind("test.late", Nothing)


def test_ready_when_database_schema_and_engine_are(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "migrations": "current",
            "jobs": "on time",
            "engine": "running",
        },
        "reasons": [],
    }


@pytest.fixture
def idle_app(settings: Settings, clock: FakeClock) -> Iterator[tuple[Tocsin, TestClient]]:
    tocsin = Tocsin.open(settings, clock=clock)
    with TestClient(create_app(tocsin, start_engine=False)) as test_client:
        yield tocsin, test_client


def test_not_ready_without_the_engine(idle_app: tuple[Tocsin, TestClient]) -> None:
    _, client = idle_app
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["reasons"] == ["job engine is not running"]


def test_not_ready_with_pending_migrations(idle_app: tuple[Tocsin, TestClient]) -> None:
    tocsin, client = idle_app
    migrate.downgrade(tocsin.database.engine, "base")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["migrations"] == "pending"
    assert "run tocsin db upgrade" in answer.json()["reasons"][0]


def test_not_ready_when_the_database_is_unreachable(tmp_path: object, clock: FakeClock) -> None:
    settings = Settings.load(
        data_dir=str(tmp_path), database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    tocsin = Tocsin.open(settings, clock=clock, upgrade=False)
    with TestClient(create_app(tocsin, start_engine=False)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"] == "unreachable"
    assert "password" not in answer.text


def test_not_ready_while_a_job_is_overdue(
    idle_app: tuple[Tocsin, TestClient], clock: FakeClock
) -> None:
    tocsin, client = idle_app
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, LATE, Nothing(), now=clock.now())
    threshold = tocsin.settings.ready_overdue_seconds
    clock.advance(seconds=threshold)
    assert client.get("/readyz").json()["checks"]["jobs"] == "on time"
    clock.advance(seconds=1)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["jobs"] == "overdue"
    assert (
        "jobs are overdue: the oldest pending job was due at 2026-01-05T09:00:00+00:00, "
        "more than 60 s ago"
    ) in answer.json()["reasons"]


def test_not_ready_while_a_dead_workers_job_waits_to_be_taken_over(
    idle_app: tuple[Tocsin, TestClient], clock: FakeClock
) -> None:
    tocsin, client = idle_app
    lease = tocsin.engine.lease
    with tocsin.database.transaction() as session:
        jobs.enqueue(session, LATE, Nothing(), now=clock.now())
        jobs.claim(session, owner="dead", now=clock.now(), lease=lease, limit=1)
    clock.advance(lease + timedelta(seconds=tocsin.settings.ready_overdue_seconds + 1))
    reasons = client.get("/readyz").json()["reasons"]
    assert any(r.startswith("jobs are overdue: a running job's lease ran out at ") for r in reasons)
