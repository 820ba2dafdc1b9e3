"""What follows a public update or an incident's change, in its transaction.

:func:`after_update` is the one call :func:`tocsin.statuspage.publishing.post_update`
makes: it plans the reminder of the next public deadline
(:mod:`tocsin.statuspage.cadence`) and tells the service's customers when
the update publishes or resolves the incident
(:mod:`tocsin.statuspage.customers`).

:func:`follow_incident` is the communications' part of ``incident.changed``
(the composition root runs it with paging's): declaring the incident starts
the internal reports' cadence (:mod:`tocsin.statuspage.reports`); a severity
change or a reopening replans it and the public reminder at the new
deadline; resolving it sends the final internal report.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.domain.refusals import NotFound
from tocsin.incidents import records
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
        customers.after_update(session, incident, public, update, now)


#: The incident changes that move a deadline.
MOVING = frozenset({"severity", "reopened"})


def follow_incident(session: Session, changed: IncidentChanged, now: datetime) -> None:
    """Start, replan or end the deadlines the incident's change concerns."""
    if changed.change == "resolved":
        try:
            incident = records.find(session, str(changed.incident_id), lock=True)
        except NotFound:
            return
        reports.send_final(session, incident, now)
        return
    if changed.change != "declared" and changed.change not in MOVING:
        return
    found = session.get(Incident, changed.incident_id)
    if found is None:
        return
    if changed.change in MOVING:
        public = session.scalar(
            select(PublicIncident).where(PublicIncident.incident_id == found.id)
        )
        if public is not None:
            cadence.schedule(session, public, now)
    reports.start(session, found, now)
