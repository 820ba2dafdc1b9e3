"""Declaring an incident: it starts in triage with its checklist, timeline and audit entry.

Declaring also queues the jobs a new incident needs: formal declaration at the
two most severe levels (:mod:`tocsin.incidents.declaration`) and telling the
level's stakeholders (:mod:`tocsin.incidents.stakeholders`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.domain.lifecycle import Status
from tocsin.domain.refusals import Invalid
from tocsin.domain.severity import SeverityLevel
from tocsin.domain.timeline import EntryDraft, EntryKind
from tocsin.incidents import (
    changes,
    checklists,
    configured,
    declaration,
    editing,
    stakeholders,
)
from tocsin.incidents.editing import Actor
from tocsin.incidents.tables import Incident, IncidentService, IncidentTag

SOURCES = ("manual", "user_report", "alert")


@dataclass(frozen=True)
class NewIncident:
    title: str
    severity: str
    summary: str = ""
    source: str = "manual"
    drill: bool = False
    detected_at: datetime | None = None
    impact_started_at: datetime | None = None
    services: Sequence[str] = ()
    tags: Sequence[str] = ()
    impact: Mapping[str, Any] = field(default_factory=dict)
    links: Sequence[Mapping[str, Any]] = ()
    custom_fields: Mapping[str, Any] = field(default_factory=dict)
    #: Who reported it, for incidents declared from a user report.
    reported_by: str | None = None


def _check(new: NewIncident, now: datetime) -> tuple[str, datetime]:
    """The stripped title and the detection time; 422 naming the first wrong field."""
    title = new.title.strip()
    if not title:
        raise Invalid("title", "required")
    if new.source not in SOURCES:
        raise Invalid("source", f"expected one of {', '.join(SOURCES)}, got {new.source!r}")
    detected_at = new.detected_at or now
    if detected_at > now:
        raise Invalid("detected_at", "cannot be in the future")
    editing.check_times(detected_at, new.impact_started_at)
    return title, detected_at


def _declared_entry(new: NewIncident, incident: Incident, level: SeverityLevel) -> EntryDraft:
    """The timeline's first entry: how the incident was declared, and at which level."""
    how = {
        "manual": "by hand",
        "user_report": f"from a user report{f' by {new.reported_by}' if new.reported_by else ''}",
        "alert": "from an alert",
    }[new.source]
    drill = "Drill: " if new.drill else ""
    return EntryDraft(
        kind=EntryKind.DECLARED,
        text=f"{drill}Declared {how} as {level.level} ({level.name}): {incident.title}",
        author=incident.created_by,
        details={
            "status": incident.status,
            "severity": level.level,
            "source": new.source,
            "drill": str(new.drill).lower(),
        },
    )


def declare(session: Session, new: NewIncident, actor: Actor, now: datetime) -> Incident:
    """Create an incident in triage; SEV1/SEV2 also queue formal declaration.

    The level's escalation audience (stakeholders) is told, once, through a job.
    """
    level = editing.level(session, new.severity)
    title, detected_at = _check(new, now)
    custom = editing.custom_fields(session, {}, new.custom_fields)
    services, tags = editing.names("services", new.services), editing.names("tags", new.tags)
    incident = Incident(
        title=title,
        summary=new.summary.strip(),
        status=Status.TRIAGE.value,
        severity=level.level,
        drill=new.drill,
        source=new.source,
        created_by=actor.name,
        impact_started_at=new.impact_started_at,
        detected_at=detected_at,
        declared_at=now,
        reopen_count=0,
        users_affected=new.impact.get("users_affected"),
        revenue_impact=new.impact.get("revenue_impact"),
        error_budget_consumed=new.impact.get("error_budget_consumed"),
        links=[dict(link) for link in new.links],
        custom_fields=custom,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    editing.set_names(session, IncidentService, incident.id, services)
    editing.set_names(session, IncidentTag, incident.id, tags)
    checklists.instantiate(session, incident.id)
    editing.append(session, incident, _declared_entry(new, incident, level), now)
    formal = configured.needs_formal_declaration(level)
    if formal:
        declaration.enqueue(session, incident, level, now)
    stakeholders.enqueue(session, incident, level, stakeholders.Reached.DECLARED, now)
    changes.enqueue(session, incident, "declared", now)
    editing.audit(
        session, incident, actor, "declare", now, severity=level.level, title=title, formal=formal
    )
    return incident
