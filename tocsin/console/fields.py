"""Dates and times typed into console forms: read in the viewer's zone, refused by name.

A ``<input type="date">`` sends ``YYYY-MM-DD``, a ``datetime-local`` sends
``YYYY-MM-DDTHH:MM`` with no zone: the person meant their own zone, the one
their times are shown in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

from tocsin.console.viewer import Viewer
from tocsin.domain.refusals import Invalid


def day(value: str, field: str) -> date | None:
    """A date filter; None when empty, :class:`Invalid` naming ``field`` when not a date."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise Invalid(field, "must be a date (YYYY-MM-DD)", where="query") from error


def midnight(on: date, zone: tzinfo) -> datetime:
    """The start of day ``on`` in ``zone``, as a UTC instant."""
    return datetime.combine(on, time(), tzinfo=zone).astimezone(UTC)


def local_instant(value: str, viewer: Viewer, field: str) -> datetime:
    """A ``datetime-local`` field read in the viewer's zone, as a UTC instant."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=viewer.zone).astimezone(UTC)
    except ValueError as error:
        raise Invalid(field, "must be a date and time") from error
