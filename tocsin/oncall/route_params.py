"""What every on-call route shares: path and query parameters, answers, times and ranges.

Times are ISO 8601 with a zone offset (``2026-01-12T10:00:00Z``); a time
without one is refused with 422 naming the field, because "10:00" means a
different instant for every reader. Ranges (``from``/``to``, ``start``/``end``)
must run forwards and span at most 366 days.

Viewers read; responders create overrides, swap requests and handoff notes;
only admins force an override past the fairness policies. The iCalendar feed
at ``/ical/{token}.ics`` needs no login: its token is the credential.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AwareDatetime, Field

from tocsin.auth.accounts import Principal
from tocsin.auth.roles import allows
from tocsin.domain.refusals import Invalid
from tocsin.http.params import EARLIEST, LATEST, MAX_INTEGER
from tocsin.oncall import schedules

#: Text fields refuse NUL, which PostgreSQL cannot store.
NO_NUL = r"^[^\x00]*$"

ScheduleName = Annotated[
    str, Path(description="The schedule's name", max_length=200, pattern=NO_NUL)
]
ItemId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
From = Annotated[
    AwareDatetime | None, Query(alias="from", description="Start (ISO 8601 with offset)")
]
To = Annotated[AwareDatetime | None, Query(alias="to", description="End, after from")]
ScheduleFilter = Annotated[
    str | None, Query(max_length=200, pattern=NO_NUL, description="Default: every schedule")
]
UserField = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
LayerField = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    403: {"description": "Not allowed"},
    404: {"description": "No such schedule or item"},
    409: {"description": "Refused: fairness policy, or the item's state"},
    422: {"description": "Invalid input; the detail names the field"},
}


def instant(value: datetime, field: str, where: str) -> datetime:
    """``value`` in UTC, refused unless within the years the API accepts."""
    if not EARLIEST <= value < LATEST:
        message = f"must be between {EARLIEST.year} and {LATEST.year - 1}"
        raise Invalid(field, message, where=where)
    return value.astimezone(UTC)


def query_range(
    start: datetime | None, end: datetime | None, now: datetime, default_span: timedelta
) -> tuple[datetime, datetime]:
    """The ``from``/``to`` query range: from now, and ``default_span`` long, unless given."""
    first = instant(start, "from", "query") if start is not None else now
    last = instant(end, "to", "query") if end is not None else first + default_span
    schedules.check_range(first, last, start_field="from", end_field="to", where="query")
    return first, last


def is_admin(principal: Principal) -> bool:
    return allows(principal.role, "admin")
