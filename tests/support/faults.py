"""Database outages made on purpose: an SQLite disk that cannot be written, a PostgreSQL restart.

SQLite (:class:`UnwritableDisk`): as root, ``chmod`` does not stop writes, so
the fault is made inside SQLite. While the disk is unwritable, every
connection opened or taken from the pool is switched to ``PRAGMA
query_only``, and SQLite itself answers its writes with "attempt to write a
readonly database". That is what becomes of a connection SQLite opened
while it could not open the file for writing (it falls back to read-only
for the connection's life), and it stays so after the disk is writable
again: only discarding the connection recovers.

PostgreSQL (:class:`ServerDown`): the test database is used through a role
of its own. While the server is "down", that role may not log in and its
connections are terminated (``pg_terminate_backend``, what clients see
when the server restarts); afterwards it may log in again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.support.databases import database_url, postgres_base_url
from tests.support.processes import wait_for
from tocsin.app.service import Tocsin
from tocsin.db.database import Database
from tocsin.kernel.clock import Clock, FakeClock
from tocsin.kernel.settings import Settings


class Fault(Protocol):
    def begin(self) -> None:
        """The database stops taking writes."""
        ...

    def end(self) -> None:
        """It takes them again (connections broken meanwhile may stay broken)."""
        ...

    def close(self) -> None: ...


class UnwritableDisk:
    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.unwritable = False
        event.listen(self.engine, "connect", self._connected)
        event.listen(self.engine, "checkout", self._checked_out)

    def begin(self) -> None:
        self.unwritable = True

    def end(self) -> None:
        self.unwritable = False

    def close(self) -> None:
        event.remove(self.engine, "connect", self._connected)
        event.remove(self.engine, "checkout", self._checked_out)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        self._break(dbapi_connection)

    def _checked_out(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        self._break(dbapi_connection)

    def _break(self, dbapi_connection: Any) -> None:
        if self.unwritable:
            dbapi_connection.execute("PRAGMA query_only = ON")


class ServerDown:
    def __init__(self, database: Database) -> None:
        base = postgres_base_url()
        assert base is not None
        role = make_url(database.settings.database_url).username
        assert role is not None
        self.role = role
        self.admin = create_engine(base, isolation_level="AUTOCOMMIT")

    def begin(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{self.role}" NOLOGIN'))
            terminate_backends(conn, self.role)

    def end(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{self.role}" LOGIN'))

    def restart(self) -> int:
        """End every connection at once, as a quick server restart does; how many there were."""
        with self.admin.connect() as conn:
            return terminate_backends(conn, self.role)

    def close(self) -> None:
        self.admin.dispose()


def terminate_backends(admin: Any, role: str) -> int:
    """End every connection of ``role`` as a server restart does; how many there were."""
    ended = admin.execute(
        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role"),
        {"role": role},
    )
    return len(ended.all())


def fault(database: Database) -> Fault:
    """The outage this database can have (installed; it begins when told)."""
    if database.dialect == "sqlite":
        return UnwritableDisk(database)
    return ServerDown(database)


@contextmanager
def faultable_settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh database of ``backend`` that :func:`fault` can take down.

    On PostgreSQL the test's schema belongs to a role of its own (named after
    it), so that taking that role's connections away touches nobody else's.
    """
    with database_url(backend, tmp_path) as url:
        if backend == "sqlite":
            yield Settings.load(data_dir=tmp_path, database_url=url)
            return
        parsed = make_url(url)
        schema = str(parsed.query["options"]).removeprefix("-csearch_path=")
        base = postgres_base_url()
        assert base is not None
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{schema}" LOGIN'))
            conn.execute(text(f'ALTER SCHEMA "{schema}" OWNER TO "{schema}"'))
        try:
            own = parsed.set(username=schema).render_as_string(hide_password=False)
            yield Settings.load(data_dir=tmp_path, database_url=own)
        finally:
            with admin.connect() as conn:
                terminate_backends(conn, schema)
                conn.execute(text(f'REASSIGN OWNED BY "{schema}" TO CURRENT_USER'))
                conn.execute(text(f'DROP OWNED BY "{schema}"'))
                conn.execute(text(f'DROP ROLE "{schema}"'))
            admin.dispose()


def break_connection(session: Session) -> None:
    """Break the connection ``session``'s transaction runs on, as an outage would.

    SQLite: the connection can no longer write (see :class:`UnwritableDisk`).
    PostgreSQL: the server ends it (``pg_terminate_backend``).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")
        return
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    base = postgres_base_url()
    assert base is not None
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


@contextmanager
def faultable_tocsin(backend: str, tmp_path: Path, clock: Clock) -> Iterator[tuple[Tocsin, Fault]]:
    """A Tocsin on a fresh database of ``backend``, and the outage it can have."""
    with faultable_settings(backend, tmp_path) as settings:
        tocsin = Tocsin.open(settings, clock=clock)
        made = fault(tocsin.database)
        try:
            yield tocsin, made
        finally:
            made.end()
            tocsin.close()
            made.close()


def advance_until(
    clock: FakeClock, step: timedelta, condition: Callable[[], bool], what: str
) -> None:
    """Move the clock on ``step`` at a time, while real threads work, until ``condition``."""

    def done() -> bool:
        if condition():
            return True
        clock.advance(step)
        return False

    wait_for(done, timeout=30, what=what)
