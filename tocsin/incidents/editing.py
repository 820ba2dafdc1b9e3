"""What every change to an incident shares: who makes it, its timeline entry, its audit entry.

Every change (:mod:`~tocsin.incidents.declaring`,
:mod:`~tocsin.incidents.status_changes`, :mod:`~tocsin.incidents.severity_changes`,
:mod:`~tocsin.incidents.role_changes`, :mod:`~tocsin.incidents.notes`,
:mod:`~tocsin.incidents.checklists`, :mod:`~tocsin.incidents.field_changes`) works in
the caller's transaction, on an incident it has locked
(:func:`tocsin.incidents.records.find` with ``lock=True``), and raises a refusal
(:mod:`tocsin.domain.refusals`) before writing anything when the change is
refused, so a refused change leaves the incident and its timeline as they
were. A change that changes nothing (assigning a role to its holder, ticking a
ticked item) writes nothing either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tocsin.db.audit import record
from tocsin.domain.lifecycle import Milestones, Status
from tocsin.domain.refusals import Conflict, Invalid
from tocsin.domain.roles import Role
from tocsin.domain.severity import SeverityLevel
from tocsin.domain.timeline import EntryDraft, TimelineEntry
from tocsin.incidents import configured, recorder
from tocsin.incidents.custom_fields import CustomFieldError, merge
from tocsin.incidents.tables import Incident, IncidentService, IncidentTag


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user name, whether they are an admin, and from where."""

    name: str
    is_admin: bool = False
    remote_addr: str | None = None


def audit(
    session: Session, incident: Incident, actor: Actor, action: str, now: datetime, **detail: Any
) -> None:
    """Write the audit entry ``incident.<action>`` of a change."""
    record(
        session,
        at=now,
        actor=actor.name,
        action=f"incident.{action}",
        object_type="incident",
        object_key=incident.reference,
        detail=detail,
        remote_addr=actor.remote_addr,
    )


def append(session: Session, incident: Incident, draft: EntryDraft, now: datetime) -> TimelineEntry:
    """Append a change's timeline entry; the incident counts as updated."""
    incident.updated_at = now
    return recorder.append(session, incident.id, draft, now)


def require_open_record(incident: Incident) -> None:
    """409 for a closed incident: its record is final, only notes and corrections remain."""
    if incident.status == Status.CLOSED:
        raise Conflict(
            f"{incident.reference} is closed and its record is final; "
            "add a note or a correction, or declare a new incident"
        )


def level(session: Session, label: str) -> SeverityLevel:
    """The configured severity level labelled ``label``; 422 listing the levels if none is."""
    scale = configured.scale(session)
    found = scale.get(label)
    if found is None:
        known = ", ".join(item.level for item in scale)
        raise Invalid("severity", f"unknown severity {label!r}; configured levels: {known}")
    return found


def check_times(detected_at: datetime, impact_started_at: datetime | None) -> None:
    """422 naming the milestone when impact would start after detection."""
    try:
        Milestones(detected_at=detected_at, impact_started_at=impact_started_at)
    except ValueError as error:
        name, _, message = str(error).partition(": ")
        raise Invalid(name, message) from error


def names(field_name: str, values: Sequence[str]) -> list[str]:
    """Service or tag names, stripped, sorted and without repeats; 422 for an empty one."""
    cleaned = sorted({value.strip() for value in values})
    if "" in cleaned:
        raise Invalid(field_name, "names cannot be empty")
    return cleaned


def set_names(
    session: Session,
    table: type[IncidentService] | type[IncidentTag],
    incident_id: int,
    wanted: Sequence[str],
) -> None:
    """Replace the incident's services (or tags) with ``wanted``."""
    session.execute(delete(table).where(table.incident_id == incident_id))
    session.add_all(table(incident_id=incident_id, name=name) for name in wanted)


def custom_fields(
    session: Session, current: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """``current`` custom fields with ``changes`` applied, checked against their definitions."""
    try:
        return merge(current, changes, configured.custom_fields(session))
    except CustomFieldError as error:
        raise Invalid(error.field, str(error).removeprefix(f"{error.field}: ")) from error


def role_title(role: Role) -> str:
    """A role as people write it: ``incident_commander`` is "Incident Commander"."""
    return role.value.replace("_", " ").title()
