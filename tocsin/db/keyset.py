"""Keyset (cursor) pagination and capped counts: list pages that cost the same at any depth.

An offset page reads and throws away every row before it, and an exact total
reads every matching row, so both grow with history. A keyset page starts
*after* the last row the caller saw instead: ``WHERE (sort key) < (last
values) ORDER BY sort key LIMIT n`` walks an index from that point, whatever
lies behind it. The caller gets the last row's sort values back as an opaque
cursor (``next_cursor``) and sends it as ``cursor`` for the next page.

The sort key must be unique (end it with the id) and every column of it must
run in the same direction, so that one row-value comparison selects what
follows; the lists' indexes are built for exactly these orders.

Counts are capped: :func:`capped_count` counts at most ``cap + 1`` rows
through the same index and reports whether there are more (``total`` is then
a lower bound, ``total_exact`` false).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.types import TypeDecorator

from tocsin.domain.refusals import Invalid

#: Counts stop here; more matching rows report ``total_exact`` false.
COUNT_CAP = 10_000
#: Cursors are short; anything longer was not made by Tocsin.
MAX_CURSOR_LENGTH = 512
#: The query parameter a cursor arrives in, named in refusals.
CURSOR_FIELD = "cursor"


@dataclass(frozen=True)
class Order:
    """A list's sort key: its columns (ending with a unique one) and one direction for all."""

    columns: tuple[ColumnElement[Any], ...]
    descending: bool = True

    def apply(self, query: Select[Any]) -> Select[Any]:
        """``query`` sorted by this key."""
        return query.order_by(
            *(column.desc() if self.descending else column.asc() for column in self.columns)
        )

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """The rows that follow the row whose sort values are ``values``."""
        if len(self.columns) == 1:
            (column,) = self.columns
            single: ColumnElement[bool] = (
                column < values[0] if self.descending else column > values[0]
            )
            return single
        key = tuple_(*self.columns)
        bound: Any = tuple_(
            *(
                literal(value, column.type)
                for value, column in zip(values, self.columns, strict=True)
            )
        )
        after: ColumnElement[bool] = key < bound if self.descending else key > bound
        return after


@dataclass(frozen=True)
class Page:
    """One page of rows, the cursor of the next page (``None``: this is the last one)."""

    rows: list[Any]
    next_cursor: str | None


@dataclass(frozen=True)
class Count:
    """How many rows match, up to the cap; ``exact`` is false when there are more."""

    total: int
    exact: bool


def encode(values: Sequence[Any]) -> str:
    """The opaque cursor for a row whose sort values are ``values``."""
    plain = [{"t": value.isoformat()} if isinstance(value, datetime) else value for value in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, order: Order) -> list[Any]:
    """The sort values in ``cursor``; a cursor that does not fit ``order`` is refused (422)."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
        if not isinstance(plain, list) or len(plain) != len(order.columns):
            raise ValueError("wrong shape")
        values = [_value(item) for item in plain]
        for value, column in zip(values, order.columns, strict=True):
            if not isinstance(value, _python_type(column)):
                raise ValueError(f"{value!r} does not fit {column}")
        return values
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise Invalid(
            CURSOR_FIELD,
            "is not a cursor of this list; send the next_cursor of a page you received",
            where="query",
        ) from error


def _python_type(column: ColumnElement[Any]) -> type:
    """What a sort column's values are in Python (through a decorated type's own type)."""
    kind = column.type
    python_type: type = (
        kind.impl_instance if isinstance(kind, TypeDecorator) else kind
    ).python_type
    return python_type


def _value(item: Any) -> Any:
    if isinstance(item, dict):
        stamp = item.get("t")
        if not isinstance(stamp, str) or len(item) != 1:
            raise ValueError("unknown value")
        parsed = datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            raise ValueError("instant without offset")
        return parsed
    if isinstance(item, bool) or not isinstance(item, int | str):
        raise ValueError("unknown value")
    if isinstance(item, int) and not -(2**63) <= item < 2**63:
        raise ValueError("out of range")
    return item


def page(
    session: Session,
    query: Select[Any],
    order: Order,
    *,
    limit: int,
    cursor: str | None = None,
    offset: int = 0,
) -> Page:
    """Rows of ``query`` (a select of one entity) after ``cursor``, sorted by ``order``.

    ``offset`` is still honoured (the old parameter), after the cursor; it costs
    what it skips.
    """
    if cursor is not None:
        query = query.where(order.after(decode(cursor, order)))
    rows = list(session.scalars(order.apply(query).limit(limit + 1).offset(offset)))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    return Page(rows, encode([_sort_value(rows[-1], column) for column in order.columns]))


def _sort_value(row: Any, column: ColumnElement[Any]) -> Any:
    name = getattr(column, "key", None)
    if name is None:
        raise TypeError(f"sort column {column!r} has no attribute name")
    return getattr(row, name)


def capped_count(session: Session, query: Select[Any], cap: int = COUNT_CAP) -> Count:
    """How many rows ``query`` matches, counting at most ``cap + 1`` of them."""
    # maintain_column_froms keeps the FROM of the replaced columns: without it an
    # unfiltered ``select(Entity)`` would become ``SELECT 1`` and count one row.
    only_one = query.with_only_columns(literal(1), maintain_column_froms=True)
    limited = only_one.order_by(None).limit(cap + 1).subquery()
    counted = int(session.scalar(select(func.count()).select_from(limited)) or 0)
    return Count(min(counted, cap), counted <= cap)
