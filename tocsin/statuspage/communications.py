"""What follows a public update, in its transaction: the cadence, internal reports, customers.

:func:`after_update` is the one call :func:`tocsin.statuspage.publishing.post_update`
makes: it plans the reminder of the next public deadline
(:mod:`tocsin.statuspage.cadence`), makes sure the internal reports'
cadence is running (:mod:`tocsin.statuspage.reports`) and tells the
service's customers when the update publishes or resolves the incident
(:mod:`tocsin.statuspage.customers`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

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
