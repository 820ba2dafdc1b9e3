"""PostgreSQL gives up waiting for a lock after ``TOCSIN_DATABASE_LOCK_TIMEOUT_SECONDS``:
an inbound alert stuck behind a transaction holding the alerts table is answered
503 with ``Retry-After`` instead of hanging, and ingest recovers once it is released."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from tests.support.databases import database_url
from tocsin.alerts import integrations
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.alerts.tables import Alert
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.db.database import Database
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings

VARIABLE = "TOCSIN_DATABASE_LOCK_TIMEOUT_SECONDS"


@pytest.fixture
def postgres(backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("SQLite has no lock timeout (one writer at a time, busy_timeout 30 s)")
    return backend


@pytest.fixture
def short(postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with a lock timeout of a fifth of a second (and the default statement timeout)."""
    monkeypatch.setenv(VARIABLE, "0.2")
    with database_url(postgres, tmp_path) as url:
        yield Settings.load(data_dir=tmp_path, database_url=url)


def test_locks_are_waited_for_5_seconds_by_default(postgres: str, tmp_path: Path) -> None:
    with database_url(postgres, tmp_path) as url:
        database = Database(Settings.load(data_dir=tmp_path, database_url=url))
        try:
            with database.engine.connect() as connection:
                assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "5s"
        finally:
            database.dispose()


def event(key: str, dedup_key: str) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": dedup_key, "source": "lock-test", "severity": "error"},
    }


def test_inbound_behind_a_held_lock_answers_503_then_recovers(
    short: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    tocsin = Tocsin.open(short, clock=clock)
    with tocsin.database.transaction() as session:
        key = integrations.create(
            session,
            "locked",
            IntegrationConfig(service="checkout", type="pagerduty"),
            actor="test",
            now=clock.now(),
        )
    holder = create_engine(short.database_url)
    try:
        with (
            TestClient(create_app(tocsin, start_engine=False)) as client,
            holder.connect() as stuck,
            caplog.at_level(logging.INFO, logger="tocsin.alerts"),
        ):
            # A transaction that took the alerts table and does not finish.
            stuck.execute(text("LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE"))
            for _ in range(3):
                answer = client.post("/v2/enqueue", json=event(key, "disk-full"))
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"]
            outage = tocsin.committer.outage.current
            assert outage is not None and "55P03" in outage.cause  # lock_not_available
            stuck.rollback()

            answer = client.post("/v2/enqueue", json=event(key, "disk-full"))
            assert answer.status_code == 202, answer.text
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, [r.getMessage() for r in errors]  # the outage, logged once
        assert "recovered" in caplog.text
        with tocsin.database.sessions() as session:
            stored = session.execute(
                select(func.count(), func.sum(Alert.occurrences)).where(
                    Alert.dedup_key == "disk-full"
                )
            ).one()
        assert tuple(stored) == (1, 1)
    finally:
        holder.dispose()
        tocsin.close()


@pytest.mark.parametrize("value", ["soon", "-1", "inf"])
def test_a_bad_lock_timeout_is_refused_naming_the_setting(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, value)
    with pytest.raises(ValueError, match=f"{VARIABLE} must be a number of seconds"):
        Settings.load(data_dir="unused")
