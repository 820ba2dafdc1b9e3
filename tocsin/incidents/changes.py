"""Telling paging at once that an incident was acknowledged, resolved or closed.

Changing an incident's status queues one ``incident.changed`` job in the same
transaction when the incident is acknowledged (it leaves triage for the first
time), resolved or closed. Paging handles the job
(:func:`tocsin.paging.subjects.follow_incident`): the incident's escalation
follows at once, instead of when its next step comes due. Each change
happens once per incident (resolving, once per reopening), and the job's
idempotency key says so.
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
    """Incident ``incident_id`` was ``change``: "acknowledged", "resolved" or "closed"."""

    incident_id: int
    change: str


INCIDENT_CHANGED = JobKind("incident.changed", IncidentChanged)


def enqueue(session: Session, incident: Incident, change: str, now: datetime) -> None:
    """Queue the job that brings the incident's escalation into line with ``change``."""
    jobs.enqueue(
        session,
        INCIDENT_CHANGED,
        IncidentChanged(incident_id=incident.id, change=change),
        now=now,
        idempotency_key=f"{INCIDENT_CHANGED.name}:{incident.id}:{change}:{incident.reopen_count}",
    )
