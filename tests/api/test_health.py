"""Readiness tells the truth: database, schema and engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tocsin.app import create_app
from tocsin.clock import FakeClock
from tocsin.service import Tocsin
from tocsin.settings import Settings
from tocsin.store import migrate


def test_ready_when_database_schema_and_engine_are(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "current", "engine": "running"},
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
