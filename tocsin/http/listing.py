"""What keyset-paged lists that answer arrays share: saying where the next page is.

Lists that answer an object carry ``next_cursor`` in it. Lists that answered a
bare JSON array before cursors existed keep that shape (clients index into
it) and give the next page in headers instead, following RFC 8288:
``Link: </api/v1/jobs?state=dead&cursor=...>; rel="next"`` and the cursor
alone in ``X-Next-Cursor``. The last page carries neither.
"""

from __future__ import annotations

from fastapi import Request, Response

#: The header that carries the next page's cursor alone.
NEXT_CURSOR_HEADER = "X-Next-Cursor"


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
