"""Gathering what Tocsin knows about an incident, for drafting its postmortem.

Read in a few queries whatever the incident's size: its row, roles and
services, the timeline entries that may be key (columns only, no ORM objects:
an incident may have thousands of entries, most of them notes no draft
selects), the alerts linked to it, the pages of its escalations and its
public updates. Alerts and pages are capped at
:data:`LISTED` each (the earliest), so an alert storm does not make the
document huge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.tables import Alert
from tocsin.domain.lifecycle import Status
from tocsin.domain.postmortem_draft import (
    KEY_KINDS,
    PAGING_FIRSTS,
    AlertFact,
    IncidentFacts,
    PageFact,
    UpdateFact,
)
from tocsin.domain.roles import Role
from tocsin.domain.timeline import EntryKind, NoteKind, TimelineEntry
from tocsin.incidents import records
from tocsin.incidents.tables import Incident, TimelineRow
from tocsin.paging.directory import Directory
from tocsin.paging.tables import EscalationRun, Page
from tocsin.statuspage.tables import PublicIncident, PublicUpdate

#: The most alerts, and pages, a draft lists.
LISTED = 100
_ROLE_ORDER = {role.value: index for index, role in enumerate(Role)}


_KINDS = {kind.value: kind for kind in EntryKind}
_NOTE_KINDS = {kind.value: kind for kind in NoteKind}


def entry_of(row: Any) -> TimelineEntry:
    """A timeline row (or a row of its columns) as a domain entry.

    Details are written from ``EntryDraft.details`` (text to text) and read
    back as stored, without copying: thousands of entries go through here.
    """
    return TimelineEntry(
        sequence=row.sequence,
        kind=_KINDS[row.kind],
        text=row.text,
        recorded_at=row.recorded_at,
        occurred_at=row.occurred_at,
        author=row.author,
        note_kind=_NOTE_KINDS[row.note_kind] if row.note_kind else None,
        corrects=row.corrects,
        details=row.details or {},
    )


def timeline(session: Session, incident_id: int, *, key_only: bool = False) -> list[TimelineEntry]:
    """The incident's timeline, read as plain rows (no ORM objects).

    ``key_only`` reads only the entries that may be key
    (:func:`tocsin.domain.postmortem_draft.may_be_key`, asked of the database),
    which is all a draft needs: on a long timeline most entries are notes.
    """
    query = (
        select(
            TimelineRow.sequence,
            TimelineRow.kind,
            TimelineRow.text,
            TimelineRow.recorded_at,
            TimelineRow.occurred_at,
            TimelineRow.author,
            TimelineRow.note_kind,
            TimelineRow.corrects,
            TimelineRow.details,
        )
        .where(TimelineRow.incident_id == incident_id)
        .order_by(TimelineRow.sequence)
    )
    if key_only:
        query = query.where(
            or_(
                TimelineRow.kind.in_([kind.value for kind in KEY_KINDS]),
                TimelineRow.note_kind == NoteKind.DECISION.value,
                TimelineRow.details["paging"].as_string().in_(list(PAGING_FIRSTS)),
            )
        )
    return [entry_of(row) for row in session.execute(query)]


def _alerts(session: Session, incident_id: int) -> list[AlertFact]:
    rows = session.scalars(
        select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id).limit(LISTED)
    )
    return [
        AlertFact(
            summary=alert.summary,
            service=alert.service,
            first_fired_at=alert.started_at or alert.triggered_at,
            occurrences=alert.occurrences,
            runbook_url=alert.runbook_url,
        )
        for alert in rows
    ]


def _pages(session: Session, incident_id: int) -> list[PageFact]:
    rows = session.scalars(
        select(Page)
        .join(EscalationRun, EscalationRun.id == Page.run_id)
        .where(EscalationRun.incident_id == incident_id)
        .order_by(Page.id)
        .limit(LISTED)
    )
    return [PageFact(p.user_name, p.created_at, p.acknowledged_at, p.state) for p in rows]


def public_updates(session: Session, incident_id: int) -> list[UpdateFact]:
    """The incident's updates on the status page, oldest first."""
    rows = session.execute(
        select(PublicUpdate.display_at, PublicUpdate.status, PublicUpdate.body)
        .join(PublicIncident, PublicIncident.id == PublicUpdate.public_incident_id)
        .where(PublicIncident.incident_id == incident_id)
        .order_by(PublicUpdate.display_at, PublicUpdate.id)
    )
    return [UpdateFact(at, status, body) for at, status, body in rows]


def components(session: Session, services: list[str]) -> list[str]:
    """The status page components of ``services``, in their order, without repeats."""
    directory = Directory(session)
    found: list[str] = []
    for name in services:
        service = directory.service(name)
        found.extend(service.components if service is not None else [])
    return list(dict.fromkeys(found))


def gather(session: Session, incident: Incident) -> IncidentFacts:
    services = records.services(session, incident.id)
    roles = sorted(
        records.role_rows(session, incident.id), key=lambda row: _ROLE_ORDER.get(row.role, 99)
    )
    return IncidentFacts(
        reference=incident.reference,
        title=incident.title,
        severity=incident.severity,
        status=Status(incident.status),
        milestones=records.milestones(incident),
        services=tuple(services),
        components=tuple(components(session, services)),
        roles=tuple((row.role, row.user_name) for row in roles),
        users_affected=incident.users_affected,
        revenue_impact=incident.revenue_impact,
        error_budget_consumed=incident.error_budget_consumed,
        summary=incident.summary,
        entries=timeline(session, incident.id, key_only=True),
        alerts=_alerts(session, incident.id),
        pages=_pages(session, incident.id),
        updates=public_updates(session, incident.id),
    )
