"""Who holds which role in an incident: assigning, handing over and taking roles.

A lead role (Incident Commander, Communications and Operations Lead, Scribe)
has one holder, so assigning it hands it over; any number of people hold the
responder role. The rules are :mod:`tocsin.domain.roles`'s.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tocsin.auth import accounts
from tocsin.config import known_names
from tocsin.domain import roles
from tocsin.domain.refusals import Conflict, Invalid
from tocsin.domain.roles import Role
from tocsin.domain.timeline import EntryDraft, EntryKind, TimelineEntry
from tocsin.incidents import records
from tocsin.incidents.editing import Actor, append, audit, require_open_record, role_title
from tocsin.incidents.tables import Incident, IncidentRoleHolder


def _parse_role(name: str) -> Role:
    try:
        return roles.parse_role(name)
    except roles.RoleError as error:
        raise Invalid("role", str(error)) from error


def _remove_holder(session: Session, incident: Incident, role: Role, user: str | None) -> None:
    session.execute(
        delete(IncidentRoleHolder).where(
            IncidentRoleHolder.incident_id == incident.id,
            IncidentRoleHolder.role == role.value,
            IncidentRoleHolder.user_name == user,
        )
    )


def assign_role(
    session: Session, incident: Incident, role_name: str, user: str, actor: Actor, now: datetime
) -> TimelineEntry | None:
    """Give a role to a user; a lead role is handed over from its holder. None if no change."""
    require_open_record(incident)
    role = _parse_role(role_name)
    if accounts.find_user(session, user) is None:
        raise Invalid("user", known_names.unknown_user(session, user))
    _, handover = roles.assign(records.roster(session, incident.id), role, user)
    if not handover.changed:
        return None
    if handover.previous is not None:
        _remove_holder(session, incident, role, handover.previous)
    session.add(
        IncidentRoleHolder(
            incident_id=incident.id,
            role=role.value,
            user_name=user,
            assigned_at=now,
            assigned_by=actor.name,
        )
    )
    title = role_title(role)
    if handover.previous is not None:
        text = f"{title} handed over from {handover.previous} to {user}"
    else:
        text = f"{user} is now {title}" if role in roles.LEAD_ROLES else f"{user} joined as {title}"
    return _role_entry(session, incident, role, handover, text, actor, now)


def unassign_role(
    session: Session,
    incident: Incident,
    role_name: str,
    user: str | None,
    actor: Actor,
    now: datetime,
) -> TimelineEntry:
    """Take a role from its holder (for a lead role, ``user`` may be omitted)."""
    require_open_record(incident)
    role = _parse_role(role_name)
    if user is None and role not in roles.LEAD_ROLES:
        raise Invalid("user", f"required to remove someone from {role}")
    try:
        _, handover = roles.unassign(records.roster(session, incident.id), role, user)
    except roles.RoleError as error:
        raise Conflict(f"{incident.reference}: {error}") from error
    _remove_holder(session, incident, role, handover.previous)
    text = f"{handover.previous} is no longer {role_title(role)}"
    return _role_entry(session, incident, role, handover, text, actor, now)


def _role_entry(
    session: Session,
    incident: Incident,
    role: Role,
    handover: roles.Handover,
    text: str,
    actor: Actor,
    now: datetime,
) -> TimelineEntry:
    details = {"role": role.value, "from": handover.previous or "", "to": handover.new or ""}
    entry = append(
        session,
        incident,
        EntryDraft(kind=EntryKind.ROLE_CHANGE, text=text, author=actor.name, details=details),
        now,
    )
    audit(session, incident, actor, "role", now, **details)
    return entry
