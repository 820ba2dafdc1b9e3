"""Statements compiled once and run on the DB-API cursor, for the few hottest queries.

SQLAlchemy spends about 50-100 µs of Python on every statement it executes
(building parameters, an execution context, a result object) while SQLite
runs a one-row upsert in under 10 µs. The ingest path runs a handful of
statements per alert, so for those it compiles the SQLAlchemy statement once
per dialect, keeps the column types' own bind and result processors (JSON,
UTC datetimes, booleans: the values are stored exactly as SQLAlchemy would
store them), and executes on the driver's cursor inside the connection's
current transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import ReturnsRows

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement for one dialect: SQL text, parameter order and type processors."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        assert isinstance(statement, ClauseElement)
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
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
        try:
            cursor.execute(self.sql, self.parameters(values))
            return self.rows(cursor) if cursor.description is not None else []
        finally:
            cursor.close()

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = self.all(connection, values)
        return rows[0] if rows else None

    def run(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run a statement without rows; returns the rowcount."""
        cursor = _cursor(connection)
        try:
            cursor.execute(self.sql, self.parameters(values))
            count: int = cursor.rowcount
            return count
        finally:
            cursor.close()

    def run_many(self, connection: Connection, many: Iterable[Mapping[str, Any]]) -> None:
        batch = [self.parameters(values) for values in many]
        if not batch:
            return
        cursor = _cursor(connection)
        try:
            cursor.executemany(self.sql, batch)
        finally:
            cursor.close()


def _cursor(connection: Connection) -> Any:
    """The driver's cursor on ``connection``, inside whatever transaction it has begun."""
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
