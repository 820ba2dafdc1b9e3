"""The WHERE clauses of every report: its filters, and drills left out.

Drills never count: not as incidents, and not through what was linked to one
(alert groups and alerts that declared or joined a drill, pages of a drill's
escalation, a drill's postmortem and action items). Drills are few, so "not
linked to a drill" is a small list the database reads once through the
(drill, detected_at) index.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.incidents.tables import Incident, IncidentService
from tocsin.metrics.filters import Filters
from tocsin.paging.tables import EscalationRun, Page
from tocsin.postmortems.tables import ActionItem, Postmortem

#: The most incidents a service or team filter has the database hand over, for the
#: figures to be worked out here (read at each call, so that tests may lower it): a
#: small team's incidents, read by id from the services' index, cost less than walking
#: every incident's index entry to find them.
PROJECTED_AT_MOST = 100_000


def few_incidents(session: Session, filters: Filters) -> bool:
    """Whether the services of ``filters`` have at most :data:`PROJECTED_AT_MOST` incidents.

    Counted from the services' index alone (an incident of two of them counts
    twice, drills and the period are not checked): an upper bound, enough to
    choose how to read them.
    """
    services = filters.services or ()
    bound = session.scalar(
        select(func.count()).select_from(IncidentService).where(IncidentService.name.in_(services))
    )
    return (bound or 0) <= PROJECTED_AT_MOST


def drills() -> Select[int]:
    return select(Incident.id).where(Incident.drill.is_(True))


def not_a_drill(incident_id: QueryableAttribute[int | None]) -> ColumnElement[bool]:
    """Linked to no incident, or to one that is not a drill."""
    return or_(incident_id.is_(None), incident_id.not_in(drills()))


def incidents(filters: Filters, *, probe: bool = False) -> list[ColumnElement[bool]]:
    """Incidents detected in the period that match the filters, drills excluded.

    ``probe`` says how a service filter is asked: as a correlated EXISTS, which
    looks each incident's services up by primary key (cheap for the incidents
    of one week), or else as a list of the services' incidents the database
    builds once (cheap when the query starts from that list).
    """
    where: list[ColumnElement[bool]] = [Incident.drill.is_(False)]
    if filters.start is not None:
        where.append(Incident.detected_at >= filters.start)
    if filters.end is not None:
        where.append(Incident.detected_at < filters.end)
    if filters.severities:
        where.append(Incident.severity.in_(filters.severities))
    if filters.sources:
        where.append(Incident.source.in_(filters.sources))
    if filters.services is not None:
        affected = select(IncidentService.incident_id).where(
            IncidentService.name.in_(filters.services)
        )
        if probe:
            # Its own name, so that it correlates with the incident, never with a
            # service the outer query joins.
            other = aliased(IncidentService)
            probed = select(other.incident_id).where(
                other.incident_id == Incident.id, other.name.in_(filters.services)
            )
            where.append(probed.exists())
        else:
            where.append(Incident.id.in_(affected))
    return where


def alert_groups(filters: Filters) -> list[ColumnElement[bool]]:
    """Resolved groups opened in the period that match the filters, drills' excluded.

    Severity and source are the alerts': a group matches when one of its
    alerts has them.
    """
    where: list[ColumnElement[bool]] = [
        AlertGroup.status == "resolved",
        not_a_drill(AlertGroup.incident_id),
    ]
    if filters.start is not None:
        where.append(AlertGroup.opened_at >= filters.start)
    if filters.end is not None:
        where.append(AlertGroup.opened_at < filters.end)
    if filters.services is not None:
        where.append(AlertGroup.service.in_(filters.services))
    if filters.severities or filters.sources:
        members = select(Alert.group_id).where(Alert.group_id.is_not(None))
        if filters.severities:
            members = members.where(Alert.severity.in_(filters.severities))
        if filters.sources:
            members = members.where(Alert.source_type.in_(filters.sources))
        where.append(AlertGroup.id.in_(members))
    return where


def alerts(filters: Filters) -> list[ColumnElement[bool]]:
    """Alerts triggered in the period that match the filters, drills' excluded."""
    where: list[ColumnElement[bool]] = [not_a_drill(Alert.incident_id)]
    if filters.start is not None:
        where.append(Alert.triggered_at >= filters.start)
    if filters.end is not None:
        where.append(Alert.triggered_at < filters.end)
    if filters.services is not None:
        where.append(Alert.service.in_(filters.services))
    if filters.severities:
        where.append(Alert.severity.in_(filters.severities))
    if filters.sources:
        where.append(Alert.source_type.in_(filters.sources))
    return where


def pages(filters: Filters) -> list[ColumnElement[bool]]:
    """Pages sent in the period that match the filters, drills' excluded.

    The service is the escalated one; a severity or source filter keeps the
    pages of incidents with them. Each asks the escalations once, by id.
    """
    drill_runs = select(EscalationRun.id).where(EscalationRun.incident_id.in_(drills()))
    where: list[ColumnElement[bool]] = [Page.run_id.not_in(drill_runs)]
    if filters.start is not None:
        where.append(Page.created_at >= filters.start)
    if filters.end is not None:
        where.append(Page.created_at < filters.end)
    runs = select(EscalationRun.id)
    if filters.services is not None:
        runs = runs.where(EscalationRun.service.in_(filters.services))
    if filters.severities or filters.sources:
        matching = select(Incident.id)
        if filters.severities:
            matching = matching.where(Incident.severity.in_(filters.severities))
        if filters.sources:
            matching = matching.where(Incident.source.in_(filters.sources))
        runs = runs.where(EscalationRun.incident_id.in_(matching))
    if runs.whereclause is not None:
        where.append(Page.run_id.in_(runs))
    return where


def postmortems(filters: Filters) -> list[ColumnElement[bool]]:
    """Postmortems due in the period whose incident matches the filters, drills' excluded.

    The query joins the incident (``Incident.id == Postmortem.incident_id``).
    """
    where = incidents(replace(filters, start=None, end=None))
    if filters.start is not None:
        where.append(Postmortem.due_at >= filters.start)
    if filters.end is not None:
        where.append(Postmortem.due_at < filters.end)
    return where


def action_items(filters: Filters) -> list[ColumnElement[bool]]:
    """Action items created in the period that match the filters, drills' excluded.

    The team is the item's own; severity, service and source are its
    incident's, so an item of no incident matches none of them.
    """
    where: list[ColumnElement[bool]] = [not_a_drill(ActionItem.incident_id)]
    if filters.start is not None:
        where.append(ActionItem.created_at >= filters.start)
    if filters.end is not None:
        where.append(ActionItem.created_at < filters.end)
    if filters.team is not None:
        where.append(ActionItem.team == filters.team)
    if filters.severities or filters.sources or filters.services is not None:
        matching = select(Incident.id).where(*incidents(replace(filters, start=None, end=None)))
        where.append(ActionItem.incident_id.in_(matching))
    return where
