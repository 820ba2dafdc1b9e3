"""What follows a public update, in its transaction: the cadence, internal reports, customers.

:func:`after_update` is the one call :func:`tocsin.statuspage.publishing.post_update`
makes: it plans the reminder of the next public deadline
(:mod:`tocsin.statuspage.cadence`), makes sure the internal reports'
cadence is running (:mod:`tocsin.statuspage.reports`) and tells the
service's customers when the update publishes or resolves the incident
(:mod:`tocsin.statuspage.customers`).

:func:`follow_incident` is the communications' part of ``incident.changed``
(the composition root runs it with paging's): a severity change or a reopening
replans the public reminder at the new deadline, and the internal reports
when they are running (the incident is published, or a report was sent).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.incidents.changes import IncidentChanged
from tocsin.incidents.tables import Incident
from tocsin.statuspage import cadence, customers, reports
from tocsin.statuspage.tables import PublicIncident, PublicUpdate


def after_update(
    session: Session,
    public: PublicIncident,
    update: PublicUpdate,
    incident: Incident | None,
    now: datetime,
) -> None:
    cadence.schedule(session, public, now)
    if incident is not None:
        reports.start(session, incident, now)
        customers.after_update(session, incident, public, update, now)


#: The incident changes that move a deadline.
MOVING = frozenset({"severity", "reopened"})


def follow_incident(session: Session, changed: IncidentChanged, now: datetime) -> None:
    """Replan the deadlines a severity change or a reopening moved."""
    if changed.change not in MOVING:
        return
    incident = session.get(Incident, changed.incident_id)
    if incident is None:
        return
    public = session.scalar(select(PublicIncident).where(PublicIncident.incident_id == incident.id))
    if public is not None:
        cadence.schedule(session, public, now)
    if public is not None or reports.last_report_at(session, incident.id) is not None:
        reports.start(session, incident, now)
