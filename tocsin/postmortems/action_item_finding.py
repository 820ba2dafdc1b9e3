"""Finding action items: by reference (``AI-7`` or ``7``), listed a page at a time; history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.db import keyset
from tocsin.db.audit import AuditEntry
from tocsin.domain.refusals import Invalid, NotFound
from tocsin.incidents import records
from tocsin.postmortems import finding
from tocsin.postmortems.action_item_reminders import OBJECT_TYPE
from tocsin.postmortems.tables import ActionItem, Postmortem

_REFERENCE = re.compile(r"(?:AI-?)?(\d{1,18})", re.IGNORECASE)
#: The statuses of an item still to do.
UNFINISHED = ("open", "in_progress")


def parse_reference(reference: str) -> int | None:
    """The action item's id in "AI-7", "ai7" or "7", or None."""
    match = _REFERENCE.fullmatch(reference.strip())
    number = int(match[1]) if match else None
    return number if number is not None and number <= records.LARGEST_ID else None


def find(
    session: Session, reference: str, *, lock: bool = False
) -> tuple[ActionItem, Postmortem | None]:
    """The item and its postmortem (None when it has none).

    With ``lock``, what it belongs to is locked first, in the order every change of an
    incident takes: its incident, then its postmortem, then the item.
    """
    number = parse_reference(reference)
    item = session.get(ActionItem, number) if number is not None else None
    if item is None:
        raise NotFound(f"no action item {reference!r}")
    postmortem = None
    if item.postmortem_id is not None:
        postmortem = finding.find(session, str(item.postmortem_id), lock=lock)
    elif item.incident_id is not None and lock:
        records.find(session, str(item.incident_id), lock=True)
    if lock:
        session.refresh(item, with_for_update=True)
    return item, postmortem


@dataclass(frozen=True)
class Filters:
    owner: str | None = None
    team: str | None = None
    #: Any of these statuses (none: every status).
    statuses: Sequence[str] = field(default_factory=tuple)
    #: Only those past their due date on this day and not finished (None: all).
    overdue_on: date | None = None
    incident_id: int | None = None
    postmortem_id: int | None = None


#: The list's order: newest first.
ORDER = keyset.Order((ActionItem.id.expression,))


def search(
    session: Session, filters: Filters, *, limit: int, cursor: str | None
) -> tuple[keyset.Page, keyset.Count]:
    """One page of action items, newest first, each filter walking its index in that order."""
    query = select(ActionItem)
    if filters.owner is not None:
        query = query.where(ActionItem.owner == filters.owner)
    if filters.team is not None:
        query = query.where(ActionItem.team == filters.team)
    if filters.statuses:
        query = query.where(ActionItem.status.in_(filters.statuses))
    if filters.overdue_on is not None:
        query = query.where(
            ActionItem.status.in_(UNFINISHED), ActionItem.due_date < filters.overdue_on
        )
    if filters.incident_id is not None:
        query = query.where(ActionItem.incident_id == filters.incident_id)
    if filters.postmortem_id is not None:
        query = query.where(ActionItem.postmortem_id == filters.postmortem_id)
    count = keyset.capped_count(session, query)
    return keyset.page(session, query, ORDER, limit=limit, cursor=cursor), count


def history(session: Session, item: ActionItem) -> list[AuditEntry]:
    """Every change of the item and every reminder sent about it, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == OBJECT_TYPE, AuditEntry.object_key == item.reference)
            .order_by(AuditEntry.id)
        )
    )


def links(
    session: Session, incident: str | None, postmortem: str | None
) -> tuple[Postmortem | None, int | None]:
    """A new item's postmortem and incident from their references, locked in order.

    An unknown one is refused naming its field (422); a postmortem goes with its own
    incident, so naming another incident is refused too.
    """
    found = None
    if postmortem is not None:
        number = finding.parse_reference(postmortem)
        row = session.get(Postmortem, number) if number is not None else None
        if row is None:
            raise Invalid("postmortem", f"no postmortem {postmortem!r}")
        found = finding.find(session, str(row.id), lock=True)
    if incident is None:
        return found, found.incident_id if found is not None else None
    try:
        named = records.find(session, incident, lock=found is None)
    except NotFound:
        raise Invalid("incident", f"no incident {incident!r}") from None
    if found is not None and named.id != found.incident_id:
        raise Invalid("incident", f"{found.reference} is the postmortem of INC-{found.incident_id}")
    return found, named.id
