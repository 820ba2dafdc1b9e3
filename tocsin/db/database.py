"""Engines and sessions for SQLite (WAL) and PostgreSQL through one code path."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker

from tocsin.kernel.settings import Settings

#: SQLite result codes (primary) after which a connection is not trusted to write
#: again: read-only (SQLite opens a file it cannot write read-only, for the
#: connection's life), an I/O error, a full disk, a file it could not open.
_SQLITE_BROKEN = frozenset({8, 10, 13, 14})  # READONLY, IOERR, FULL, CANTOPEN
#: Their messages, for errors that carry no result code.
_SQLITE_BROKEN_MESSAGES = (
    "attempt to write a readonly database",
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
)


def sqlite_connection_broken(error: BaseException) -> bool:
    """Whether ``error`` means this SQLite connection may never write again."""
    if not isinstance(error, sqlite3.Error):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in _SQLITE_BROKEN
    message = str(error).lower()
    return any(text in message for text in _SQLITE_BROKEN_MESSAGES)


def _discard_broken(context: ExceptionContext) -> None:
    """Treat a broken SQLite connection like a lost one: it, and every connection
    pooled before it, is closed instead of being handed out again (a new one
    opened once the disk is writable works).

    Its cursor is closed now: SQLite closes a connection only once its
    statements are, and until then its transaction (and the write lock)
    would outlive it.
    """
    if sqlite_connection_broken(context.original_exception):
        context.is_disconnect = True
        execution = context.execution_context
        if execution is not None:
            with suppress(sqlite3.Error):
                execution.cursor.close()


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            settings.database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin, so
            # writers can take the lock up front with BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine, "handle_error", _discard_broken)
        return engine
    # A connection the server dropped (a restart) is noticed at checkout by the
    # pre-ping and replaced; one that breaks in use is discarded with the pool.
    engine = create_engine(settings.database_url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    statement_timeout = _milliseconds(settings.statement_timeout_seconds)
    lock_timeout = _milliseconds(settings.lock_timeout_seconds)

    @event.listens_for(engine, "connect")
    def _timeouts(dbapi_conn: Any, _record: Any) -> None:
        # For the session, not one transaction: a statement waiting on a stuck
        # transaction's lock gives up after the lock timeout (and any statement
        # after the statement timeout) instead of holding its caller for ever.
        with dbapi_conn.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('lock_timeout', %s, false)",
                (statement_timeout, lock_timeout),
            )
        dbapi_conn.commit()

    return engine


def _milliseconds(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


class Database:
    """The engine and a session factory for one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
