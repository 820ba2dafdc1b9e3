"""Telling a severity level's escalation audience that an incident reached the level.

Each level's ``escalation`` names who is told when an incident is declared at
it or raised to it: "VP of Engineering notified" for SEV-1, "Team lead
notified" for SEV-3. Declaring an incident, or raising its severity, queues one
``incident.stakeholders`` job in the same transaction, at most once per
incident and level (the job's idempotency key says so): going back up to a
level the incident already reached tells nobody again, and lowering the
severity tells nobody at all. A level whose escalation is "None" queues
nothing.

The job's handler is registered by paging (:mod:`tocsin.paging.notices`),
which knows who the audience roles mean and how to reach them; this package
only says when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from tocsin.domain.severity import SeverityLevel, level_key
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.incidents.tables import Incident


class Reached(StrEnum):
    """How the incident came to the level."""

    DECLARED = "declared"
    RAISED = "raised"


@dataclass(frozen=True)
class LevelReached:
    """Incident ``incident_id`` reached severity ``level`` (its label) as ``how`` says.

    ``how`` is a :class:`Reached` value; jobs queued before it existed lack it
    and were declarations.
    """

    incident_id: int
    level: str
    how: str = Reached.DECLARED.value


INCIDENT_STAKEHOLDERS = JobKind("incident.stakeholders", LevelReached)


def idempotency_key(incident_id: int, level: str) -> str:
    return f"{INCIDENT_STAKEHOLDERS.name}:{incident_id}:{level_key(level)}"


def enqueue(
    session: Session, incident: Incident, level: SeverityLevel, how: Reached, now: datetime
) -> bool:
    """Queue telling ``level``'s audience about ``incident``; False if it has none or was queued."""
    if not level.escalation.roles:
        return False
    return jobs.enqueue(
        session,
        INCIDENT_STAKEHOLDERS,
        LevelReached(incident_id=incident.id, level=level.level, how=how.value),
        now=now,
        idempotency_key=idempotency_key(incident.id, level.level),
    )
