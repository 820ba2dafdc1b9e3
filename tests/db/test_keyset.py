"""Keyset pages and capped counts (tocsin.db.keyset) on a table of their own, on each backend."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import MetaData, String, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from tocsin.db import keyset
from tocsin.db.database import Database
from tocsin.db.types import UTCDateTime
from tocsin.domain.refusals import Invalid
from tocsin.kernel.settings import Settings

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Rows(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class Item(Rows):
    __tablename__ = "keyset_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    rank: Mapped[int]
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(8))


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    """41 items: ranks 0-4 (many ties), instants with ties, kinds a and b."""
    database = Database(settings)
    Rows.metadata.create_all(database.engine)
    rows = [
        {"id": n, "rank": n % 5, "at": START + timedelta(minutes=n % 7), "kind": "ab"[n % 2]}
        for n in range(1, 42)
    ]
    with database.transaction() as writing:
        writing.execute(insert(Item), rows)
    with database.sessions() as reading:
        yield reading
    database.dispose()


def walk(session: Session, order: keyset.Order, query: Any, limit: int) -> list[list[int]]:
    """Every page of ``query`` in ``order``, following next_cursor to the end."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = keyset.page(session, query, order, limit=limit, cursor=cursor)
        pages.append([row.id for row in page.rows])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("columns", ["id", "rank,id", "rank,at,id", "at,id"])
def test_pages_walk_every_row_once_in_order(
    session: Session, columns: str, descending: bool
) -> None:
    order = keyset.Order(
        tuple(getattr(Item, name).expression for name in columns.split(",")),
        descending=descending,
    )
    query = select(Item).where(Item.kind == "a")
    expected = [row.id for row in session.scalars(order.apply(query))]
    pages = walk(session, order, query, limit=4)
    assert [item for page in pages for item in page] == expected
    assert len(expected) == 20 and len(pages) == 5
    assert all(len(page) == 4 for page in pages)


def test_the_last_full_page_has_no_next_cursor_and_offset_still_skips(session: Session) -> None:
    order = keyset.Order((Item.id.expression,))
    whole = keyset.page(session, select(Item), order, limit=41)
    assert len(whole.rows) == 41 and whole.next_cursor is None
    skipped = keyset.page(session, select(Item), order, limit=3, offset=10)
    assert [row.id for row in skipped.rows] == [31, 30, 29]
    after = keyset.page(session, select(Item), order, limit=3, cursor=skipped.next_cursor)
    assert [row.id for row in after.rows] == [28, 27, 26]


def test_cursors_round_trip_instants_numbers_and_text() -> None:
    order = keyset.Order(tuple(c.expression for c in (Item.at, Item.rank, Item.kind, Item.id)))
    values = [START + timedelta(microseconds=7), -3, "b", 2**62]
    cursor = keyset.encode(values)
    assert "=" not in cursor
    assert keyset.decode(cursor, order) == values
    assert keyset.decode(cursor, order)[0].tzinfo is not None


def _raw(plain: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "x" * 600,
        _raw([1]),
        _raw({"id": 1}),
        _raw([1, 2, 3]),
        _raw([True, 1]),
        _raw([1.5, 1]),
        _raw([2**63, 1]),
        _raw([{"t": "2026-03-01T12:00:00"}, 1]),
        _raw([{"t": "yesterday"}, 1]),
        _raw([{"x": 1}, 1]),
        _raw(["high", 1]),
        _raw([1, "2"]),
        _raw([{"t": "2026-03-01T12:00:00+00:00"}, 1]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_cursors_not_made_for_this_list_are_refused_naming_cursor(cursor: str) -> None:
    order = keyset.Order((Item.rank.expression, Item.id.expression))
    with pytest.raises(Invalid) as refused:
        keyset.decode(cursor, order)
    assert refused.value.field == "cursor"


def test_counts_stop_at_the_cap(session: Session) -> None:
    assert keyset.capped_count(session, select(Item)) == keyset.Count(41, True)
    assert keyset.capped_count(session, select(Item), cap=41) == keyset.Count(41, True)
    assert keyset.capped_count(session, select(Item), cap=40) == keyset.Count(40, False)
    only_a = select(Item).where(Item.kind == "a").order_by(Item.id)
    assert keyset.capped_count(session, only_a, cap=5) == keyset.Count(5, False)
    assert keyset.capped_count(session, only_a) == keyset.Count(20, True)
