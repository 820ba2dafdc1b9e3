"""Raising or lowering an incident's severity, with a reason.

Entering one of the two most severe levels queues formal declaration
(:mod:`tocsin.incidents.declaration`); raising tells the new level's
stakeholders, once per level (:mod:`tocsin.incidents.stakeholders`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.refusals import Conflict, Invalid
from tocsin.domain.timeline import EntryDraft, EntryKind, TimelineEntry
from tocsin.incidents import changes, configured, declaration, editing, stakeholders
from tocsin.incidents.editing import Actor
from tocsin.incidents.tables import Incident


def change_severity(
    session: Session,
    incident: Incident,
    label: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> TimelineEntry:
    """Raise or lower the severity with a reason; entering SEV1/SEV2 queues formal declaration.

    Raising tells the new level's escalation audience (once per level); lowering tells nobody.
    """
    editing.require_open_record(incident)
    level = editing.level(session, label)
    text = (reason or "").strip()
    if not text:
        raise Invalid("reason", "required: say why the severity changes")
    previous = configured.scale(session).get(incident.severity)
    if previous is not None and previous.level == level.level:
        raise Conflict(f"{incident.reference} is already {level.level}")
    raised = previous is None or level.is_more_severe_than(previous)
    direction = "raised" if raised else "lowered"
    details = {
        "from": incident.severity,
        "to": level.level,
        "direction": direction,
        "reason": text,
    }
    incident.severity = level.level
    entry = editing.append(
        session,
        incident,
        EntryDraft(
            kind=EntryKind.SEVERITY_CHANGE,
            text=f"Severity {details['from']} → {level.level} ({direction}): {text}",
            author=actor.name,
            details=details,
        ),
        now,
    )
    if configured.needs_formal_declaration(level):
        declaration.enqueue(session, incident, level, now)
    if raised:
        stakeholders.enqueue(session, incident, level, stakeholders.Reached.RAISED, now)
    changes.enqueue(session, incident, "severity", now)
    editing.audit(session, incident, actor, "severity", now, **details)
    return entry
