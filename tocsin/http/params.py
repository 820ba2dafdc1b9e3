"""Bounded types for what API callers send: instants, page limits and offsets, ids.

Unbounded values reach places that cannot hold them: an instant at
0001-01-01T00:00+14:00 has no UTC equivalent, an offset of 10^30 does not fit
a database integer. Each type refuses such values with 422 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime

#: Instants outside these years are refused: nothing Tocsin records happens there.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
#: The largest id, count or offset accepted (the databases' 32-bit integer columns).
MAX_INTEGER = 2**31 - 1


def in_range(value: datetime) -> datetime:
    """``value`` if it lies from 1970 to 2999 (naive values are taken as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError(
            f"must be between {EARLIEST.date()} and {LATEST.year - 1}-12-31 (UTC), "
            f"got {value.isoformat()}"
        )
    return value


#: An instant with a UTC offset, from 1970 to 2999.
Instant = Annotated[AwareDatetime, AfterValidator(in_range)]
#: An instant from 1970 to 2999; without an offset it is taken as UTC.
LenientInstant = Annotated[datetime, AfterValidator(in_range)]
#: An id in a path.
Id = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
#: How far into a list a page starts.
Offset = Annotated[int, Query(ge=0, le=MAX_INTEGER, description="Items to skip")]
#: Where a keyset page starts: the ``next_cursor`` of the page before (see ``tocsin.db.keyset``).
Cursor = Annotated[
    str | None,
    Query(
        max_length=512,
        description="Start after this point: the next_cursor of the previous page",
    ),
]
