"""Times as integers in SQL, spelled for each database: durations and epoch seconds.

Metrics sum, sort and bucket times in the database; integers make that exact
and the same on both databases:

- :class:`micros_between` is ``later - earlier`` in whole microseconds
  (NULL when either is NULL). PostgreSQL subtracts the ``timestamptz`` values
  and takes the interval's epoch; SQLite keeps times as text
  (``2026-06-01 09:00:00.000000``, always with microseconds, see
  :class:`tocsin.db.types.UTCDateTime`), so the whole seconds come from
  ``julianday`` of the text without its fraction (a double, exact once
  rounded to the second) and the microseconds from the fraction's digits.
  Both spellings are immutable, so indexes may hold them.
- :class:`epoch_second` is the whole second (rounded down) since 1970 UTC.

An index on an expression serves a query only when the query spells the
same expression: models and queries build these with the same constructs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class micros_between(FunctionElement[int]):
    """``later - earlier`` in whole microseconds: ``micros_between(later, earlier)``."""

    type = BigInteger()
    name = "micros_between"
    inherit_cache = True


class epoch_second(FunctionElement[int]):
    """The whole epoch second (rounded down) of a time: ``epoch_second(time)``."""

    type = BigInteger()
    name = "epoch_second"
    inherit_cache = True


def _arguments(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(argument, **kw) for argument in element.clauses]


@compiles(micros_between)
@compiles(epoch_second)
def _generic(element: FunctionElement[int], compiler: SQLCompiler, **kw: Any) -> str:
    """How ``str()`` shows them outside a database: as the function calls they stand for."""
    return f"{element.name}({', '.join(_arguments(element, compiler, **kw))})"


@compiles(micros_between, "postgresql")
def _micros_postgresql(element: micros_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _arguments(element, compiler, **kw)
    # Spelled as PostgreSQL shows the index back (no parentheses around the
    # difference), so that Alembic's comparison of the index with the model agrees.
    return f"CAST(EXTRACT(EPOCH FROM {later} - {earlier}) * 1000000 AS BIGINT)"


@compiles(micros_between, "sqlite")
def _micros_sqlite(element: micros_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _arguments(element, compiler, **kw)
    return (
        f"(CAST(round((julianday(substr({later}, 1, 19)) - julianday(substr({earlier}, 1, 19)))"
        f" * 86400.0) AS INTEGER) * 1000000"
        f" + CAST(substr({later}, 21, 6) AS INTEGER) - CAST(substr({earlier}, 21, 6) AS INTEGER))"
    )


@compiles(epoch_second, "postgresql")
def _epoch_postgresql(element: epoch_second, compiler: SQLCompiler, **kw: Any) -> str:
    (time,) = _arguments(element, compiler, **kw)
    return f"CAST(floor(EXTRACT(EPOCH FROM {time})) AS BIGINT)"


@compiles(epoch_second, "sqlite")
def _epoch_sqlite(element: epoch_second, compiler: SQLCompiler, **kw: Any) -> str:
    (time,) = _arguments(element, compiler, **kw)
    return f"CAST(round((julianday(substr({time}, 1, 19)) - 2440587.5) * 86400.0) AS INTEGER)"
