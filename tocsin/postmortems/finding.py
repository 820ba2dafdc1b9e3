"""Finding postmortems: by reference (``PM-3``), by incident, and listed a page at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.db import keyset
from tocsin.domain.refusals import NotFound
from tocsin.incidents import records
from tocsin.incidents.tables import Incident
from tocsin.postmortems.tables import Postmortem

_REFERENCE = re.compile(r"(?:PM-?)?(\d{1,18})", re.IGNORECASE)


def parse_reference(reference: str) -> int | None:
    """The postmortem id in "PM-3", "pm3" or "3", or None."""
    match = _REFERENCE.fullmatch(reference.strip())
    number = int(match[1]) if match else None
    return number if number is not None and number <= records.LARGEST_ID else None


def find(session: Session, reference: str, *, lock: bool = False) -> Postmortem:
    """The postmortem; with ``lock``, its incident is locked first, then the postmortem.

    Every change to a postmortem writes on its incident's timeline, which
    needs the incident's lock: taking it first keeps one lock order with the
    incident's own changes.
    """
    number = parse_reference(reference)
    found = session.get(Postmortem, number) if number is not None else None
    if found is None:
        raise NotFound(f"no postmortem {reference!r}")
    if lock:
        records.find(session, str(found.incident_id), lock=True)
        session.refresh(found, with_for_update=True)
    return found


def of_incident(session: Session, incident: Incident, *, lock: bool = False) -> Postmortem:
    """The incident's postmortem (the incident is already locked when ``lock``)."""
    query = select(Postmortem).where(Postmortem.incident_id == incident.id)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound(f"{incident.reference} has no postmortem")
    return found


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    owner: str | None = None


#: The list's order: newest first.
ORDER = keyset.Order((Postmortem.id.expression,))


def search(
    session: Session, filters: Filters, *, limit: int, cursor: str | None
) -> tuple[keyset.Page, keyset.Count]:
    """One page of postmortems, newest first, each filter walking its index in that order."""
    query = select(Postmortem)
    if filters.status is not None:
        query = query.where(Postmortem.status == filters.status)
    if filters.owner is not None:
        query = query.where(Postmortem.owner == filters.owner)
    count = keyset.capped_count(session, query)
    return keyset.page(session, query, ORDER, limit=limit, cursor=cursor), count
