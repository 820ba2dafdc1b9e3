"""Services published automatically: their incidents set component statuses without a person.

``status_page.publish_automatically`` lists services whose open incidents may
change the public statuses of their components on their own: when one of
their incidents is declared, changes severity, is resolved or reopens
(``incident.changed``), each of their components takes the status Tocsin
proposes (:mod:`tocsin.statuspage.components`). Every other service waits for
a person to confirm.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.db.audit import record
from tocsin.incidents import records
from tocsin.incidents.changes import IncidentChanged
from tocsin.statuspage import components, exporting, freshness

AUTHOR = "tocsin"


def follow_incident(session: Session, changed: IncidentChanged, now: datetime) -> None:
    """The status page's part of ``incident.changed``."""
    settings = components.settings(session)
    services = set(records.services(session, changed.incident_id))
    automatic = services & set(settings.publish_automatically)
    if not automatic:
        return
    linked = components.service_components(session)
    names = {name for service in automatic for name in linked.get(service, ())}
    for component in components.listing(session):
        if component.name not in names or component.proposal is None:
            continue
        old = components.set_status(
            session, component.name, component.proposal.status, by=AUTHOR, now=now
        )
        freshness.changed(session)
        exporting.queue(session, now)
        record(
            session,
            at=now,
            actor=AUTHOR,
            action="status_page.component.status",
            object_type="status_page_component",
            object_key=component.name,
            detail={
                "from": old.value,
                "to": component.proposal.status.value,
                "because": component.proposal.because,
                "automatic": True,
            },
        )
