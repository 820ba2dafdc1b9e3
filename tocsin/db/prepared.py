"""Statements compiled once and run on the DB-API cursor, for the few hottest queries.

SQLAlchemy spends about 50-100 µs of Python on every statement it executes
(building parameters, an execution context, a result object) while SQLite
runs a one-row upsert in under 10 µs. The ingest path runs a handful of
statements per alert, so for those it compiles the SQLAlchemy statement once
per dialect, keeps the column types' own bind and result processors (JSON,
UTC datetimes, booleans: the values are stored exactly as SQLAlchemy would
store them), and executes on the driver's cursor inside the connection's
current transaction.

**Statements that differ by dialect.** SQLite and PostgreSQL both have
``INSERT ... ON CONFLICT``, but SQLAlchemy builds it only from each dialect's
own ``insert()``. A statement that needs it is written once as a function of
that ``insert()`` and wrapped in :class:`PerDialect`; :func:`prepare` (and,
for ``Session.execute``, :meth:`PerDialect.statement`) picks the dialect's
version, built the first time it is needed::

    INSERT_RUN = PerDialect(
        lambda insert: insert(RUNS).values(...).on_conflict_do_nothing(...)
    )
    prepare(connection, INSERT_RUN).first(connection, values)

That is the one way to choose a statement per dialect.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, ClassVar, NoReturn, TypeVar

from sqlalchemy import Connection, Dialect, Table, bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import ReturnsRows

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement for one dialect: SQL text, parameter order and type processors."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        assert isinstance(statement, ClauseElement)
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        missing = [c.name for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if missing:
            # SQLAlchemy computes these columns' Python-side defaults at execution,
            # which the cursor does not: the statement must give them values.
            raise ValueError(f"prepared statement leaves columns to their defaults: {missing}")
        self.sql = compiled.string
        if "POSTCOMPILE" in self.sql:
            # An IN list expands at execution, which only SQLAlchemy's execution does.
            raise ValueError(f"a prepared statement cannot hold an IN list: {self.sql}")
        binds = compiled.binds
        self.positional = bool(dialect.positional)
        self.names: tuple[str, ...] = (
            tuple(compiled.positiontup or ()) if self.positional else tuple(binds)
        )
        #: Values the statement itself carries (the 1 of ``occurrences + 1``).
        self.constants = {
            name: bind.effective_value for name, bind in binds.items() if not bind.required
        }
        self.binders: tuple[tuple[str, Processor], ...] = tuple(
            (name, binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in self.names
        )
        columns: list[Any] = (
            list(statement.exported_columns) if isinstance(statement, ReturnsRows) else []
        )
        self.readers: tuple[Processor, ...] = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        self._convert = any(reader is not None for reader in self.readers)
        #: Known when compiled: asking the cursor (``description``) costs psycopg a
        #: column object per column on every execution.
        self.returns_rows = bool(columns)

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {**self.constants, **given} if self.constants else given
        if self.positional:
            return [
                binder(values[name]) if binder is not None else values[name]
                for name, binder in self.binders
            ]
        return {
            name: binder(values[name]) if binder is not None else values[name]
            for name, binder in self.binders
        }

    def rows(self, cursor: Any) -> list[tuple[Any, ...]]:
        fetched: list[tuple[Any, ...]] = cursor.fetchall()
        if not self._convert:
            return fetched
        return [
            tuple(
                reader(value) if reader is not None else value
                for reader, value in zip(self.readers, row, strict=True)
            )
            for row in fetched
        ]

    def all(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run with ``values`` and return every row (RETURNING or SELECT)."""
        cursor = _cursor(connection)
        parameters = self.parameters(values)
        try:
            cursor.execute(self.sql, parameters)
            rows = self.rows(cursor) if self.returns_rows else []
        except connection.dialect.loaded_dbapi.Error as error:
            _failed(connection, error, self.sql, parameters, cursor)
        cursor.close()
        return rows

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = self.all(connection, values)
        return rows[0] if rows else None

    def run(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run a statement without rows; returns the rowcount."""
        cursor = _cursor(connection)
        parameters = self.parameters(values)
        try:
            cursor.execute(self.sql, parameters)
            count: int = cursor.rowcount
        except connection.dialect.loaded_dbapi.Error as error:
            _failed(connection, error, self.sql, parameters, cursor)
        cursor.close()
        return count

    def run_many(self, connection: Connection, many: Iterable[Mapping[str, Any]]) -> None:
        batch = [self.parameters(values) for values in many]
        if not batch:
            return
        cursor = _cursor(connection)
        try:
            if len(batch) == 1:
                # psycopg runs executemany() in pipeline mode, which one row does not repay.
                cursor.execute(self.sql, batch[0])
            else:
                cursor.executemany(self.sql, batch)
        except connection.dialect.loaded_dbapi.Error as error:
            _failed(connection, error, self.sql, batch, cursor)
        cursor.close()


def binds(table: Table, names: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """Bind parameters named and typed after ``table``'s columns, for an insert's values.

    A prepared insert names its columns: compiled without values it would
    take every column, the primary key included.
    """
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


#: A dialect's ``insert()`` (``sqlalchemy.dialects.<name>.insert``), which has ``on_conflict_*``.
DialectInsert = Callable[[Any], Any]
_INSERTS: dict[str, DialectInsert] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class PerDialect:
    """A statement built from its dialect's ``insert()``, once per dialect.

    ``build`` receives ``sqlalchemy.dialects.postgresql.insert`` or
    ``sqlalchemy.dialects.sqlite.insert`` and returns the statement. Keep the
    object as a module-level constant, like any prepared statement.
    """

    def __init__(self, build: Callable[[DialectInsert], Executable]) -> None:
        self._build = build
        self._built: dict[str, Executable] = {}

    def statement(self, dialect: Dialect) -> Executable:
        """The statement for ``dialect``, for ``Session.execute`` (``prepare`` takes ``self``)."""
        found = self._built.get(dialect.name)
        if found is None:
            insert = _INSERTS.get(dialect.name)
            if insert is None:
                raise ValueError(f"no INSERT ... ON CONFLICT for dialect {dialect.name}")
            # Two threads may both build it: equal statements, the last one kept.
            found = self._built[dialect.name] = self._build(insert)
        return found


_compiled: dict[tuple[int, str, str], tuple[Executable, Prepared]] = {}


def prepare(connection: Connection, statement: Executable | PerDialect) -> Prepared:
    """``statement`` (a module-level constant) compiled for ``connection``'s dialect, once."""
    dialect = connection.dialect
    if isinstance(statement, PerDialect):
        statement = statement.statement(dialect)
    key = (id(statement), dialect.name, dialect.driver)
    found = _compiled.get(key)
    if found is None or found[0] is not statement:
        # Two threads may both compile it: the same result, the last one kept.
        found = _compiled[key] = (statement, Prepared(statement, dialect))
    return found[1]


def reading(session: Session) -> Connection:
    """``session``'s connection, after flushing what the session holds unwritten.

    What ``Session.execute()`` would do before a read (autoflush), for reads
    run as prepared statements on the connection; a flush with nothing to
    write costs little.
    """
    if session.autoflush:
        session.flush()
    return session.connection()


class Pending(ABC):
    """Writes gathered in a :func:`deferring` block and made together by :meth:`flush`."""

    @abstractmethod
    def flush(self, session: Session) -> None:
        """Make the gathered writes in ``session``'s transaction, and forget them."""


class Rows(Pending):
    """Rows of one insert (``statement``), gathered and inserted together by :meth:`flush`.

    Subclasses name the statement and add the rows.
    """

    statement: ClassVar[Executable]

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def flush(self, session: Session) -> None:
        if self.rows:
            connection = session.connection()
            prepare(connection, self.statement).run_many(connection, self.rows)
            self.rows = []


R = TypeVar("R", bound=Pending)


def deferred(session: Session, kind: type[R]) -> R | None:
    """The rows of ``kind`` a surrounding :func:`deferring` block will insert, if there is one."""
    found = session.info.get(kind)
    return found if isinstance(found, kind) else None


@contextmanager
def deferring(session: Session, kind: type[R]) -> Iterator[R]:
    """Gather the rows of ``kind`` written in this block and insert them at its end.

    Inside another such block for ``kind``, the outer one inserts them.
    Nothing in the block may read the rows it wrote.
    """
    outer = deferred(session, kind)
    if outer is not None:
        yield outer
        return
    rows = kind()
    session.info[kind] = rows
    try:
        yield rows
        rows.flush(session)
    finally:
        session.info.pop(kind, None)


def _failed(
    connection: Connection, error: Exception, sql: str, parameters: Any, cursor: Any
) -> NoReturn:
    """Raise ``error`` as if SQLAlchemy had run the statement: wrapped in its
    exception (``OperationalError``, ``IntegrityError`` ...), through the
    engine's ``handle_error`` hooks, and with a connection that is lost or
    broken invalidated, so that it is never handed out again.

    The cursor is closed first: SQLite closes a connection whose statements
    are still open only once they are, and until then its transaction, and
    the database's write lock, would outlive the discarded connection.
    """
    with suppress(Exception):  # a connection that is gone may refuse even this
        cursor.close()
    connection._handle_dbapi_exception(error, sql, parameters, None, None)


def _cursor(connection: Connection) -> Any:
    """The driver's cursor on ``connection``, inside whatever transaction it has begun."""
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
