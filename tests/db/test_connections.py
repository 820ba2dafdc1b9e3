"""A connection the database broke is discarded, never handed out again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.support.faults import break_connection
from tocsin.app.service import Tocsin
from tocsin.db.database import sqlite_connection_broken
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind


@pytest.mark.parametrize(
    ("message", "broken"),
    [
        ("attempt to write a readonly database", True),
        ("disk I/O error", True),
        ("database or disk is full", True),
        ("unable to open database file", True),
        ("database is locked", False),
        ("no such table: jobs", False),
    ],
)
def test_which_sqlite_errors_break_a_connection(message: str, broken: bool) -> None:
    assert sqlite_connection_broken(sqlite3.OperationalError(message)) is broken


@dataclass(frozen=True)
class Nothing:
    """The payload of a test job that needs none."""


PROBE = JobKind("test.kind", Nothing)


def test_errors_of_other_kinds_break_no_sqlite_connection() -> None:
    assert not sqlite_connection_broken(ValueError("disk I/O error"))


def _prepared(session: Session, now: datetime) -> None:
    jobs.enqueue(session, PROBE, Nothing(), now=now)


def _sqlalchemy(session: Session, now: datetime) -> None:
    jobs.release_expired(session, now=now)


@pytest.mark.parametrize("write", [_prepared, _sqlalchemy])
def test_a_write_on_a_broken_connection_discards_it(
    tocsin: Tocsin, write: Callable[[Session, datetime], None]
) -> None:
    """Whether SQLAlchemy runs the statement or the hot path runs it on the
    driver's cursor, the error is SQLAlchemy's and the broken connection is
    discarded, not pooled again; its transaction ends with it (on SQLite, the
    next writer would otherwise wait for its lock)."""
    now = tocsin.clock.now()
    with pytest.raises(OperationalError) as raised, tocsin.database.transaction() as session:
        break_connection(session)
        broken = driver_connection(session)
        write(session, now)
    assert raised.value.connection_invalidated
    with tocsin.database.transaction() as session:
        assert jobs.enqueue(session, PROBE, Nothing(), now=now)
        assert driver_connection(session) is not broken


def driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def test_a_disk_io_error_discards_the_connection(tocsin: Tocsin) -> None:
    if tocsin.database.dialect != "sqlite":
        pytest.skip("an SQLite error")
    engine = tocsin.database.engine
    used: list[Any] = []

    def failing_once(*args: Any) -> None:
        if not used:
            used.append(args[-1].root_connection.connection.driver_connection)
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(engine, "do_execute", failing_once)
    event.listen(engine, "do_execute_no_params", failing_once)
    try:
        failing = pytest.raises(OperationalError, match="disk I/O error")
        with failing, tocsin.database.transaction() as session:
            session.execute(text("SELECT 1"))
        with tocsin.database.transaction() as session:
            session.execute(text("SELECT 1"))
            assert driver_connection(session) is not used[0]
    finally:
        event.remove(engine, "do_execute", failing_once)
        event.remove(engine, "do_execute_no_params", failing_once)
