"""PostgreSQL cancels a statement that runs too long, so one stuck transaction cannot
stall every request (``TOCSIN_DATABASE_STATEMENT_TIMEOUT_SECONDS``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import make_caller
from tests.support.databases import database_url
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.db.database import Database
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings

VARIABLE = "TOCSIN_DATABASE_STATEMENT_TIMEOUT_SECONDS"


@pytest.fixture
def postgres(backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("SQLite has no statement timeout (it waits for locks up to 30 s)")
    return backend


@pytest.fixture
def short(postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with a statement timeout of a fifth of a second."""
    monkeypatch.setenv(VARIABLE, "0.2")
    with database_url(postgres, tmp_path) as url:
        yield Settings.load(data_dir=tmp_path, database_url=url)


def test_statements_time_out_after_30_seconds_by_default(postgres: str, tocsin: Tocsin) -> None:
    # Also after the migrations, which lift it for their own transaction only.
    with tocsin.database.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "30s"


def test_a_statement_past_the_timeout_is_cancelled(short: Settings) -> None:
    database = Database(short)
    try:
        cancelled = pytest.raises(OperationalError, match="statement timeout")
        with cancelled, database.engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(5)"))
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        database.dispose()


def test_a_request_stuck_behind_another_transaction_answers_503(
    short: Settings, clock: FakeClock
) -> None:
    tocsin = Tocsin.open(short, clock=clock)
    admin = make_caller(tocsin, "ada", "admin")
    holder = create_engine(short.database_url)
    with (
        TestClient(create_app(tocsin, start_engine=False)) as client,
        holder.connect() as stuck,
    ):
        # A transaction that took the jobs table and never finishes.
        stuck.execute(text("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE"))
        answer = client.get("/api/v1/jobs", headers=admin.headers)
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"]
        stuck.rollback()
        assert client.get("/api/v1/jobs", headers=admin.headers).status_code == 200
    holder.dispose()


@pytest.mark.parametrize("value", ["soon", "-1", "inf"])
def test_a_bad_timeout_is_refused_naming_the_setting(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, value)
    with pytest.raises(ValueError, match=f"{VARIABLE} must be a number of seconds"):
        Settings.load(data_dir="unused")
