"""Telling the other capabilities at once that an incident changed in a way they follow.

An incident's change queues one ``incident.changed`` job in the same
transaction when the incident is declared, acknowledged (it leaves triage for
the first time), resolved, closed, reopened or given another severity. The
composition root hands the job to paging (the incident's escalation follows
at once, instead of when its next step comes due) and to the status page
(components of services published automatically follow the incident). Each
change happens once per incident (resolving, once per reopening; a severity
change, once per instant), and the job's idempotency key says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.incidents.tables import Incident


@dataclass(frozen=True)
class IncidentChanged:
    """Incident ``incident_id`` was ``change``: "declared", "acknowledged", "resolved",
    "closed", "reopened" or "severity"."""

    incident_id: int
    change: str


#: The changes that move an incident's escalation (the others only matter to the status page).
ESCALATION_CHANGES = frozenset({"acknowledged", "resolved", "closed"})

INCIDENT_CHANGED = JobKind("incident.changed", IncidentChanged)


def enqueue(session: Session, incident: Incident, change: str, now: datetime) -> None:
    """Queue the job that brings what follows the incident into line with ``change``."""
    key = f"{INCIDENT_CHANGED.name}:{incident.id}:{change}:{incident.reopen_count}"
    if change in ("severity", "reopened"):
        key += f":{now.isoformat()}"
    jobs.enqueue(
        session,
        INCIDENT_CHANGED,
        IncidentChanged(incident_id=incident.id, change=change),
        now=now,
        idempotency_key=key,
    )
