"""Reading incidents and their parts back as rows and as domain values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tocsin.domain.checklist import ChecklistItem
from tocsin.domain.lifecycle import Milestones
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
    tag: str | None = None
    drill: bool | None = None
    detected_from: datetime | None = None
    detected_to: datetime | None = None


def _filtered(query: Select[tuple[Incident]], filters: Filters) -> Select[tuple[Incident]]:
    if filters.statuses:
        query = query.where(Incident.status.in_(filters.statuses))
    if filters.severities:
        query = query.where(Incident.severity.in_(filters.severities))
    if filters.service is not None:
        query = query.where(
            Incident.id.in_(
                select(IncidentService.incident_id).where(IncidentService.name == filters.service)
            )
        )
    if filters.tag is not None:
        query = query.where(
            Incident.id.in_(select(IncidentTag.incident_id).where(IncidentTag.name == filters.tag))
        )
    if filters.drill is not None:
        query = query.where(Incident.drill.is_(filters.drill))
    if filters.detected_from is not None:
        query = query.where(Incident.detected_at >= filters.detected_from)
    if filters.detected_to is not None:
        query = query.where(Incident.detected_at < filters.detected_to)
    return query


def search(
    session: Session, filters: Filters, *, limit: int, offset: int
) -> tuple[list[Incident], int]:
    """One page of matching incidents, newest detection first, and the total count."""
    base = _filtered(select(Incident), filters)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = base.order_by(Incident.detected_at.desc(), Incident.id.desc()).limit(limit)
    return list(session.scalars(page.offset(offset))), total
