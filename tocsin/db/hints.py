"""SQLite's index hints (``INDEXED BY``, ``NOT INDEXED``) through ``Select.with_hint``.

SQLite plans without table statistics (Tocsin never runs ``ANALYZE``), and even
with them it cannot tell that an index on an expression holds everything a
query reads: left to itself it may scan the table and compute the expression
for every row where reading the index would do. A query that knows which
index serves it names it: ``select(...).with_hint(table, "INDEXED BY ix",
dialect_name="sqlite")``; other databases ignore hints meant for SQLite.

SQLAlchemy hands each table's FROM hint to the dialect's compiler, and
SQLite's compiler writes none; importing this module makes it write the hint
after the table's name, which is where SQLite expects it.
"""

from __future__ import annotations

from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.sql.selectable import FromClause


def _from_hint_text(_compiler: SQLiteCompiler, _table: FromClause, text: str | None) -> str | None:
    return text


SQLiteCompiler.get_from_hint_text = _from_hint_text  # type: ignore[method-assign,assignment]
