"""What keyset-paged lists share: checking a cursor, saying where the next page is.

Lists that answer an object carry ``next_cursor`` in it. Lists that answered a
bare JSON array before cursors existed keep that shape (clients index into
it) and give the next page in headers instead, following RFC 8288:
``Link: </api/v1/jobs?state=dead&cursor=...>; rel="next"`` and the cursor
alone in ``X-Next-Cursor``. The last page carries neither.
"""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.types import TypeDecorator

from tocsin.db import keyset
from tocsin.domain.refusals import Invalid

#: The header that carries the next page's cursor alone.
NEXT_CURSOR_HEADER = "X-Next-Cursor"


def checked_cursor(cursor: str | None, order: keyset.Order) -> str | None:
    """``cursor`` if each of its values has its sort column's type; 422 naming ``cursor`` if not.

    :func:`tocsin.db.keyset.decode` checks a cursor's shape; a value of the
    wrong type (a text where an id belongs) would otherwise reach the database.
    """
    if cursor is None:
        return None
    values = keyset.decode(cursor, order)
    for value, column in zip(values, order.columns, strict=True):
        kind = column.type
        expected = (kind.impl_instance if isinstance(kind, TypeDecorator) else kind).python_type
        if not isinstance(value, expected) or isinstance(value, bool):
            raise Invalid(
                keyset.CURSOR_FIELD,
                "is not a cursor of this list; send the next_cursor of a page you received",
                where="query",
            )
    return cursor


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    """Point ``response`` at the page after this one, if there is one.

    The link repeats the request's filters and limit with the new cursor and
    without ``offset`` (the cursor already stands after the skipped rows).
    """
    if next_cursor is None:
        return
    url = request.url.remove_query_params("offset").include_query_params(cursor=next_cursor)
    target = url.path + (f"?{url.query}" if url.query else "")
    response.headers["Link"] = f'<{target}>; rel="next"'
    response.headers[NEXT_CURSOR_HEADER] = next_cursor
