"""What the incident API answers: incidents, timeline entries and checklists as bodies.

Each function reads what it needs in the caller's session and builds the
response model of :mod:`tocsin.incidents.schemas`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from tocsin.domain import lifecycle, roles
from tocsin.domain.checklist import progress
from tocsin.domain.lifecycle import Status
from tocsin.domain.timeline import TimelineEntry
from tocsin.incidents import checklists, records
from tocsin.incidents.schemas import (
    ChangeOut,
    ChecklistItemOut,
    ChecklistOut,
    DutiesOut,
    Impact,
    IncidentOut,
    Link,
    Progress,
    RoleHolderOut,
    TimelineEntryOut,
)
from tocsin.incidents.tables import Incident, IncidentChecklistItem


def entry_out(entry: TimelineEntry) -> TimelineEntryOut:
    """A timeline entry as the API shows it."""
    return TimelineEntryOut(
        sequence=entry.sequence,
        kind=entry.kind.value,
        note_kind=entry.note_kind.value if entry.note_kind else None,
        text=entry.text,
        author=entry.author,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        corrects=entry.corrects,
        details=dict(entry.details),
    )


def incident_out(session: Session, incident: Incident) -> IncidentOut:
    """An incident with its services, tags, role holders, next statuses and progress."""
    return incidents_out(session, [incident])[0]


def incidents_out(session: Session, incidents: Sequence[Incident]) -> list[IncidentOut]:
    """Many incidents as :func:`incident_out` shows them, in a fixed number of queries."""
    found = records.parts(session, [incident.id for incident in incidents])
    return [_out(incident, found[incident.id]) for incident in incidents]


def _out(incident: Incident, parts: records.Parts) -> IncidentOut:
    return IncidentOut(
        id=incident.id,
        reference=incident.reference,
        title=incident.title,
        summary=incident.summary,
        status=incident.status,
        severity=incident.severity,
        drill=incident.drill,
        source=incident.source,
        created_by=incident.created_by,
        impact_started_at=incident.impact_started_at,
        detected_at=incident.detected_at,
        declared_at=incident.declared_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        reopen_count=incident.reopen_count,
        services=parts.services,
        tags=parts.tags,
        impact=Impact(
            users_affected=incident.users_affected,
            revenue_impact=incident.revenue_impact,
            error_budget_consumed=incident.error_budget_consumed,
        ),
        links=[Link.model_validate(link) for link in incident.links],
        custom_fields=incident.custom_fields,
        roles=[
            RoleHolderOut(
                role=row.role,
                user=row.user_name,
                assigned_at=row.assigned_at,
                assigned_by=row.assigned_by,
            )
            for row in parts.roles
        ],
        allowed_transitions=[s.value for s in lifecycle.allowed_targets(Status(incident.status))],
        checklist=Progress(done=parts.checklist_done, total=parts.checklist_total),
        created_at=incident.created_at,
        updated_at=incident.updated_at,
    )


def changed(session: Session, incident: Incident, entries: list[TimelineEntry | None]) -> ChangeOut:
    """The answer to a change: the incident as it now is and the entries the change wrote."""
    session.flush()
    return ChangeOut(
        incident=incident_out(session, incident),
        entries=[entry_out(entry) for entry in entries if entry is not None],
    )


def checklist(session: Session, incident: Incident) -> ChecklistOut:
    """The response checklist with its progress, and each role holder's duties."""
    rows = records.checklist_rows(session, incident.id)
    by_key: dict[str, IncidentChecklistItem] = {row.key: row for row in rows}

    def item_out(row: IncidentChecklistItem) -> ChecklistItemOut:
        return ChecklistItemOut(
            key=row.key,
            section=row.section,
            text=row.text,
            done=row.done_at is not None,
            done_by=row.done_by,
            done_at=row.done_at,
        )

    response = [row for row in rows if row.role is None]
    done, total = progress([records.checklist_item(row) for row in response])
    duties = roles.duties(records.roster(session, incident.id), checklists.duty_definitions(rows))
    return ChecklistOut(
        items=[item_out(row) for row in response],
        progress=Progress(done=done, total=total),
        duties=[
            DutiesOut(user=user, items=[item_out(by_key[duty.key]) for duty in items])
            for user, items in duties.items()
        ],
    )
