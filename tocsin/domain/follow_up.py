"""Whether incidents are followed up: postmortems published on time, action items finished.

A **postmortem** is counted against its due date (``due_at``):

- *on time*: published at or before it is due;
- *late*: published after it was due;
- *overdue*: not published, and the due time has passed (as of now);
- *not yet due*: not published, and still within its time.

The **on-time rate** is on time / (on time + late + overdue): the postmortems
whose outcome is known. One not yet due may still be either, so it is left out.

An **action item** is *finished* when done or won't do; *open* otherwise (open
or in progress), and *overdue* when open and its due date is before today. The
**completion rate** is done / (created - won't do): an item someone decided,
with a reason, not to do is a decision rather than work left undone, so it
neither counts as done nor holds the rate down. With nothing left to count
the rates are None (shown as "n/a").
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"
    NOT_YET_DUE = "not_yet_due"


#: Action item statuses that are still to be worked on.
OPEN_STATUSES = ("open", "in_progress")
DONE, WONT_DO = "done", "wont_do"


def timeliness(due_at: datetime, published_at: datetime | None, now: datetime) -> Timeliness:
    """Where a postmortem stands against its due time, as of ``now``."""
    if published_at is not None:
        return Timeliness.ON_TIME if published_at <= due_at else Timeliness.LATE
    return Timeliness.OVERDUE if due_at < now else Timeliness.NOT_YET_DUE


def on_time_rate(on_time: int, late: int, overdue: int) -> float | None:
    """on time / (on time + late + overdue); None when none of them is known yet."""
    known = on_time + late + overdue
    return on_time / known if known else None


def item_overdue(status: str, due_date: date | None, today: date) -> bool:
    """Still open (open or in progress) and due before ``today``."""
    return status in OPEN_STATUSES and due_date is not None and due_date < today


def completion_rate(created: int, done: int, wont_do: int) -> float | None:
    """done / (created - won't do); None when every item was won't do, or none was created."""
    counted = created - wont_do
    return done / counted if counted else None
