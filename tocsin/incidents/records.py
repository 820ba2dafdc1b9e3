"""Reading incidents and their parts back as rows and as domain values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.orm import Session

from tocsin.db import keyset
from tocsin.domain.checklist import ChecklistItem
from tocsin.domain.lifecycle import OPEN_STATUSES, Milestones
from tocsin.domain.refusals import NotFound
from tocsin.domain.roles import Assignment, Role, Roster
from tocsin.domain.timeline import EntryKind, NoteKind, TimelineEntry
from tocsin.incidents.tables import (
    Incident,
    IncidentChecklistItem,
    IncidentRoleHolder,
    IncidentService,
    IncidentTag,
    TimelineRow,
)

_REFERENCE = re.compile(r"(?:INC-?)?(\d{1,18})", re.IGNORECASE)


#: The largest incident id (ids are 32-bit integers; a larger number names no incident).
LARGEST_ID = 2**31 - 1


def parse_reference(reference: str) -> int | None:
    """The incident id in "INC-42", "inc42" or "42", or None."""
    match = _REFERENCE.fullmatch(reference.strip())
    number = int(match[1]) if match else None
    return number if number is not None and number <= LARGEST_ID else None


def find(session: Session, reference: str, *, lock: bool = False) -> Incident:
    """The incident, locked for the rest of the transaction when ``lock``.

    Every change locks its incident first (``SELECT ... FOR UPDATE`` on
    PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so
    concurrent changes to one incident apply one after the other and timeline
    sequence numbers never collide.
    """
    incident_id = parse_reference(reference)
    incident = None
    if incident_id is not None:
        query = select(Incident).where(Incident.id == incident_id)
        if lock:
            query = query.with_for_update()
        incident = session.scalar(query)
    if incident is None:
        raise NotFound(f"no incident {reference!r}")
    return incident


def milestones(incident: Incident) -> Milestones:
    return Milestones(
        detected_at=incident.detected_at,
        impact_started_at=incident.impact_started_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        reopen_count=incident.reopen_count,
    )


def role_rows(session: Session, incident_id: int) -> list[IncidentRoleHolder]:
    return list(
        session.scalars(
            select(IncidentRoleHolder)
            .where(IncidentRoleHolder.incident_id == incident_id)
            .order_by(IncidentRoleHolder.id)
        )
    )


def roster(session: Session, incident_id: int) -> Roster:
    rows = role_rows(session, incident_id)
    return Roster(tuple(Assignment(Role(row.role), row.user_name) for row in rows))


def services(session: Session, incident_id: int) -> list[str]:
    return list(
        session.scalars(
            select(IncidentService.name)
            .where(IncidentService.incident_id == incident_id)
            .order_by(IncidentService.name)
        )
    )


def tags(session: Session, incident_id: int) -> list[str]:
    return list(
        session.scalars(
            select(IncidentTag.name)
            .where(IncidentTag.incident_id == incident_id)
            .order_by(IncidentTag.name)
        )
    )


def entry(row: TimelineRow) -> TimelineEntry:
    return TimelineEntry(
        sequence=row.sequence,
        kind=EntryKind(row.kind),
        text=row.text,
        recorded_at=row.recorded_at,
        occurred_at=row.occurred_at,
        author=row.author,
        note_kind=NoteKind(row.note_kind) if row.note_kind else None,
        corrects=row.corrects,
        details={str(key): str(value) for key, value in row.details.items()},
    )


def timeline(session: Session, incident_id: int) -> list[TimelineEntry]:
    rows = session.scalars(
        select(TimelineRow)
        .where(TimelineRow.incident_id == incident_id)
        .order_by(TimelineRow.sequence)
    )
    return [entry(row) for row in rows]


def checklist_rows(session: Session, incident_id: int) -> list[IncidentChecklistItem]:
    return list(
        session.scalars(
            select(IncidentChecklistItem)
            .where(IncidentChecklistItem.incident_id == incident_id)
            .order_by(IncidentChecklistItem.position)
        )
    )


def checklist_item(row: IncidentChecklistItem) -> ChecklistItem:
    return ChecklistItem(
        key=row.key, section=row.section, text=row.text, done_by=row.done_by, done_at=row.done_at
    )


@dataclass(frozen=True)
class Filters:
    """What an incident list is narrowed to; None means any."""

    statuses: Sequence[str] = ()
    severities: Sequence[str] = ()
    service: str | None = None
    #: Any of these services (a team's, say); None means any, empty means none.
    any_service: Sequence[str] | None = None
    tag: str | None = None
    drill: bool | None = None
    detected_from: datetime | None = None
    detected_to: datetime | None = None


def _filtered(query: Select[Any], filters: Filters, *, walk: bool = False) -> Select[Any]:
    """``query`` narrowed to ``filters``.

    ``walk`` says how a service or tag filter is asked: as a correlated
    EXISTS, so that the page walks the detection index in order and probes
    each incident's service or tag row (cheap when many incidents match), or
    else through the name index, which reads every match and sorts them
    (cheap when few do). :func:`search` chooses with the count it takes anyway.
    """
    if filters.statuses:
        query = query.where(Incident.status.in_(filters.statuses))
    if filters.severities:
        query = query.where(Incident.severity.in_(filters.severities))
    for table, name in ((IncidentService, filters.service), (IncidentTag, filters.tag)):
        if name is None:
            continue
        if walk:
            query = query.where(
                select(table.incident_id)
                .where(table.incident_id == Incident.id, table.name == name)
                .exists()
            )
        else:
            query = query.where(
                Incident.id.in_(select(table.incident_id).where(table.name == name))
            )
    if filters.any_service is not None:
        query = query.where(
            Incident.id.in_(
                select(IncidentService.incident_id).where(
                    IncidentService.name.in_(list(filters.any_service))
                )
            )
        )
    if filters.drill is not None:
        query = query.where(Incident.drill.is_(filters.drill))
    if filters.detected_from is not None:
        query = query.where(Incident.detected_at >= filters.detected_from)
    if filters.detected_to is not None:
        query = query.where(Incident.detected_at < filters.detected_to)
    return query


#: The incident list's sort key: newest detection first, the id breaking ties.
ORDER = keyset.Order((Incident.detected_at.expression, Incident.id.expression))
#: Up to this many matches of a service or tag filter are read and sorted; more are
#: found by walking the detection index, which then meets a match often enough.
SORT_AT_MOST = 2_000


def search(
    session: Session,
    filters: Filters,
    *,
    limit: int,
    cursor: str | None = None,
    offset: int = 0,
) -> tuple[keyset.Page, keyset.Count]:
    """One page of matching incidents, newest detection first, and the capped count.

    Each filter alone walks an index in the list's order (``tables.Incident``),
    so the page costs the same at any depth once ``cursor`` is used. Several
    statuses (or levels) walk one index range each, merged (:func:`_merged`).
    """
    # The cap is read at each call (not bound as a default) so that tests may lower it.
    count = keyset.capped_count(session, _counted(filters), keyset.COUNT_CAP)
    walk = count.total > SORT_AT_MOST
    arms = _arms(filters)
    if len(arms) == 1:
        base = _filtered(select(Incident), filters, walk=walk)
    else:
        base = _merged(arms, walk=walk, cursor=cursor, enough=limit + 1 + offset)
    found = keyset.page(session, base, ORDER, limit=limit, cursor=cursor, offset=offset)
    return found, count


def _counted(filters: Filters) -> Select[Any]:
    """The rows to count: a lone service or tag filter counts its own rows by name.

    Counting incidents through the service or tag would have the database join
    the two tables (PostgreSQL reads every incident to hash them), where the
    name index alone holds the answer.
    """
    on_incident = (
        filters.any_service is not None
        or filters.statuses
        or filters.severities
        or filters.drill is not None
        or filters.detected_from is not None
        or filters.detected_to is not None
    )
    if not on_incident and (filters.service is None) != (filters.tag is None):
        table = IncidentService if filters.service is not None else IncidentTag
        return select(table.incident_id).where(table.name == (filters.service or filters.tag))
    # The explicit FROM survives capped_count's column swap, which an unfiltered
    # select(Incident) would otherwise lose (counting one row).
    return _filtered(select(Incident), filters).select_from(Incident)


def _arms(filters: Filters) -> list[Filters]:
    """``filters`` split by status (or else by level) when it names several."""
    if len(filters.statuses) > 1:
        return [replace(filters, statuses=(status,)) for status in filters.statuses]
    if len(filters.severities) > 1:
        return [replace(filters, severities=(level,)) for level in filters.severities]
    return [filters]


def _merged(arms: list[Filters], *, walk: bool, cursor: str | None, enough: int) -> Select[Any]:
    """The incidents of the first ``enough`` ids of each arm after ``cursor``.

    ``status IN (a, b)`` cannot walk the (status, detected_at, id) index in the
    list's order: the database would read every match and sort it. Each arm
    walks its own range instead, and the page sorts at most ``enough`` ids
    per arm.
    """
    after = keyset.decode(cursor, ORDER) if cursor is not None else None
    parts = []
    for arm in arms:
        query = _filtered(select(Incident.id), arm, walk=walk)
        if after is not None:
            query = query.where(ORDER.after(after))
        parts.append(select(ORDER.apply(query).limit(enough).subquery().c.id))
    ids = union_all(*parts).subquery()
    return select(Incident).where(Incident.id.in_(select(ids.c.id)))


@dataclass
class Parts:
    """What an incident's answer shows beyond its own row."""

    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    roles: list[IncidentRoleHolder] = field(default_factory=list)
    #: The response checklist (role duties aside): items done, items in all.
    checklist_done: int = 0
    checklist_total: int = 0


def parts(session: Session, incident_ids: Sequence[int]) -> dict[int, Parts]:
    """The parts of these incidents, in four queries however many incidents there are."""
    found = {incident_id: Parts() for incident_id in incident_ids}
    if not found:
        return found
    ids = list(found)
    services = select(IncidentService.incident_id, IncidentService.name).where(
        IncidentService.incident_id.in_(ids)
    )
    for incident_id, name in session.execute(services.order_by(IncidentService.name)):
        found[incident_id].services.append(name)
    tags = select(IncidentTag.incident_id, IncidentTag.name).where(IncidentTag.incident_id.in_(ids))
    for incident_id, name in session.execute(tags.order_by(IncidentTag.name)):
        found[incident_id].tags.append(name)
    roles = select(IncidentRoleHolder).where(IncidentRoleHolder.incident_id.in_(ids))
    for row in session.scalars(roles.order_by(IncidentRoleHolder.id)):
        found[row.incident_id].roles.append(row)
    progress = (
        select(
            IncidentChecklistItem.incident_id,
            func.count(IncidentChecklistItem.done_at),
            func.count(),
        )
        .where(IncidentChecklistItem.incident_id.in_(ids), IncidentChecklistItem.role.is_(None))
        .group_by(IncidentChecklistItem.incident_id)
    )
    for incident_id, done, total in session.execute(progress):
        found[incident_id].checklist_done = int(done)
        found[incident_id].checklist_total = int(total)
    return found


def open_by_severity(session: Session) -> dict[str, int]:
    """How many incidents are open (triage, responding, mitigated) by severity; drills aside.

    One grouped query on the status index: open incidents are few, whatever
    the history.
    """
    query = (
        select(Incident.severity, func.count())
        .where(
            Incident.status.in_([status.value for status in OPEN_STATUSES]),
            Incident.drill.is_(False),
        )
        .group_by(Incident.severity)
    )
    return {severity: int(n) for severity, n in session.execute(query)}
