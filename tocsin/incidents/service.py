"""Changes to incidents: each applies a domain decision, appends its timeline entry and audits it.

Every function works in the caller's transaction, on an incident it has locked
(:func:`tocsin.incidents.records.find` with ``lock=True``), and raises an
:class:`~tocsin.incidents.errors.IncidentError` before writing anything when the
change is refused, so a refused change leaves the incident and its timeline as
they were. A change that changes nothing (assigning a role to its holder,
ticking a ticked item) writes nothing either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from tocsin.auth import accounts
from tocsin.config import known_names
from tocsin.db.audit import record
from tocsin.domain import checklist, lifecycle, roles
from tocsin.domain.lifecycle import Milestones, Status
from tocsin.domain.roles import Assignment, Role, RoleDefinition, Roster
from tocsin.domain.severity import SeverityLevel
from tocsin.domain.timeline import EntryDraft, EntryKind, NoteKind, TimelineEntry
from tocsin.incidents import changes, declaration, recorder, records, stakeholders
from tocsin.incidents import configured as definitions
from tocsin.incidents.custom_fields import CustomFieldError, merge
from tocsin.incidents.errors import Conflict, InvalidInput, NotAllowed
from tocsin.incidents.tables import (
    Incident,
    IncidentChecklistItem,
    IncidentRoleHolder,
    IncidentService,
    IncidentTag,
)

SOURCES = ("manual", "user_report", "alert")
IMPACT_FIELDS = ("users_affected", "revenue_impact", "error_budget_consumed")


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user name, whether they are an admin, and from where."""

    name: str
    is_admin: bool = False
    remote_addr: str | None = None


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


def _audit(
    session: Session, incident: Incident, actor: Actor, action: str, now: datetime, **detail: Any
) -> None:
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


def _level(session: Session, label: str) -> SeverityLevel:
    scale = definitions.scale(session)
    level = scale.get(label)
    if level is None:
        known = ", ".join(item.level for item in scale)
        raise InvalidInput("severity", f"unknown severity {label!r}; configured levels: {known}")
    return level


def _check_times(detected_at: datetime, impact_started_at: datetime | None) -> None:
    try:
        Milestones(detected_at=detected_at, impact_started_at=impact_started_at)
    except ValueError as error:
        name, _, message = str(error).partition(": ")
        raise InvalidInput(name, message) from error


def _names(field_name: str, values: Sequence[str]) -> list[str]:
    cleaned = sorted({value.strip() for value in values})
    if "" in cleaned:
        raise InvalidInput(field_name, "names cannot be empty")
    return cleaned


def _set_names(
    session: Session,
    table: type[IncidentService] | type[IncidentTag],
    incident_id: int,
    names: Sequence[str],
) -> None:
    session.execute(delete(table).where(table.incident_id == incident_id))
    session.add_all(table(incident_id=incident_id, name=name) for name in names)


def _require_open_record(incident: Incident) -> None:
    if incident.status == Status.CLOSED:
        raise Conflict(
            f"{incident.reference} is closed and its record is final; "
            "add a note or a correction, or declare a new incident"
        )


def _append(
    session: Session, incident: Incident, draft: EntryDraft, now: datetime
) -> TimelineEntry:
    incident.updated_at = now
    return recorder.append(session, incident.id, draft, now)


def _custom_fields(
    session: Session, current: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    try:
        return merge(current, changes, definitions.custom_fields(session))
    except CustomFieldError as error:
        raise InvalidInput(error.field, str(error).removeprefix(f"{error.field}: ")) from error


def _instantiate_checklist(session: Session, incident_id: int) -> None:
    """Copy the response checklist and every role's duties into the incident.

    Copies are frozen at declaration, so later configuration changes do not
    rewrite running incidents. Duty keys come from :func:`roles.duties` over a
    roster where each defined role is held by a stand-in named after the role.
    """
    items = checklist.instantiate(definitions.checklist_template(session))
    role_definitions = definitions.role_definitions(session)
    everyone = Roster(tuple(Assignment(role, role.value) for role in role_definitions))
    duties = chain.from_iterable(roles.duties(everyone, role_definitions).values())
    rows = [
        *(
            IncidentChecklistItem(key=item.key, section=item.section, text=item.text, role=None)
            for item in items
        ),
        *(
            IncidentChecklistItem(
                key=duty.key, section=duty_section(duty.role), text=duty.text, role=duty.role.value
            )
            for duty in duties
        ),
    ]
    for position, row in enumerate(rows):
        row.incident_id = incident_id
        row.position = position
    session.add_all(rows)


def duty_section(role: Role) -> str:
    return f"{role_title(role)} duties"


def role_title(role: Role) -> str:
    return role.value.replace("_", " ").title()


def declare(session: Session, new: NewIncident, actor: Actor, now: datetime) -> Incident:
    """Create an incident in triage; SEV1/SEV2 also queue formal declaration.

    The level's escalation audience (stakeholders) is told, once, through a job.
    """
    level = _level(session, new.severity)
    title = new.title.strip()
    if not title:
        raise InvalidInput("title", "required")
    if new.source not in SOURCES:
        raise InvalidInput("source", f"expected one of {', '.join(SOURCES)}, got {new.source!r}")
    detected_at = new.detected_at or now
    if detected_at > now:
        raise InvalidInput("detected_at", "cannot be in the future")
    _check_times(detected_at, new.impact_started_at)
    custom = _custom_fields(session, {}, new.custom_fields)
    services, tags = _names("services", new.services), _names("tags", new.tags)
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
    _set_names(session, IncidentService, incident.id, services)
    _set_names(session, IncidentTag, incident.id, tags)
    _instantiate_checklist(session, incident.id)
    how = {
        "manual": "by hand",
        "user_report": f"from a user report{f' by {new.reported_by}' if new.reported_by else ''}",
        "alert": "from an alert",
    }[new.source]
    drill = "Drill: " if new.drill else ""
    _append(
        session,
        incident,
        EntryDraft(
            kind=EntryKind.DECLARED,
            text=f"{drill}Declared {how} as {level.level} ({level.name}): {title}",
            author=actor.name,
            details={
                "status": incident.status,
                "severity": level.level,
                "source": new.source,
                "drill": str(new.drill).lower(),
            },
        ),
        now,
    )
    formal = definitions.needs_formal_declaration(level)
    if formal:
        declaration.enqueue(session, incident, level, now)
    stakeholders.enqueue(session, incident, level, stakeholders.Reached.DECLARED, now)
    _audit(
        session, incident, actor, "declare", now, severity=level.level, title=title, formal=formal
    )
    return incident


def change_status(
    session: Session,
    incident: Incident,
    target: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> TimelineEntry:
    """Move the incident along its lifecycle; 409 for moves the lifecycle forbids."""
    try:
        wanted = lifecycle.parse_status(target)
    except lifecycle.UnknownStatus as error:
        raise InvalidInput("status", str(error)) from error
    current = Status(incident.status)
    try:
        result = lifecycle.transition(current, wanted, reason)
    except lifecycle.InvalidTransition as error:
        raise Conflict(f"{incident.reference}: {error}") from error
    except lifecycle.ReasonRequired as error:
        raise InvalidInput("reason", str(error).removeprefix("reason: ")) from error
    if wanted is Status.RESOLVED:
        _check_may_resolve(session, incident, actor)
    stamped = lifecycle.stamp(records.milestones(incident), result, now)
    if wanted in (Status.RESOLVED, Status.CLOSED):
        changes.enqueue(session, incident, wanted.value, now)
    elif incident.acknowledged_at is None and stamped.acknowledged_at is not None:
        changes.enqueue(session, incident, "acknowledged", now)
    incident.status = wanted.value
    incident.acknowledged_at = stamped.acknowledged_at
    incident.mitigated_at = stamped.mitigated_at
    incident.resolved_at = stamped.resolved_at
    incident.closed_at = stamped.closed_at
    incident.reopen_count = stamped.reopen_count
    because = f": {result.reason}" if result.reason else ""
    details = {"from": current.value, "to": wanted.value, "transition": result.kind.value}
    if result.reason:
        details["reason"] = result.reason
    entry = _append(
        session,
        incident,
        EntryDraft(
            kind=EntryKind.STATUS_CHANGE,
            text=f"Status {current} → {wanted} ({result.kind}){because}",
            author=actor.name,
            details=details,
        ),
        now,
    )
    _audit(session, incident, actor, "status", now, **details)
    return entry


def _check_may_resolve(session: Session, incident: Incident, actor: Actor) -> None:
    policy = definitions.resolve_policy(session)
    held = records.roster(session, incident.id).roles_of(actor.name)
    if roles.may_resolve(held, actor.is_admin, policy):
        return
    who = [role_title(role) for role in sorted(policy.roles)]
    if policy.admins:
        who.append("an admin")
    raise NotAllowed(
        f"only the {' or '.join(who)} may resolve {incident.reference}; "
        f"{actor.name} holds {', '.join(sorted(held)) or 'no role'} in it"
    )


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
    _require_open_record(incident)
    level = _level(session, label)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("reason", "required: say why the severity changes")
    scale = definitions.scale(session)
    previous = scale.get(incident.severity)
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
    entry = _append(
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
    if definitions.needs_formal_declaration(level):
        declaration.enqueue(session, incident, level, now)
    if raised:
        stakeholders.enqueue(session, incident, level, stakeholders.Reached.RAISED, now)
    _audit(session, incident, actor, "severity", now, **details)
    return entry


def _parse_role(name: str) -> Role:
    try:
        return roles.parse_role(name)
    except roles.RoleError as error:
        raise InvalidInput("role", str(error)) from error


def assign_role(
    session: Session, incident: Incident, role_name: str, user: str, actor: Actor, now: datetime
) -> TimelineEntry | None:
    """Give a role to a user; a lead role is handed over from its holder. None if no change."""
    _require_open_record(incident)
    role = _parse_role(role_name)
    if accounts.find_user(session, user) is None:
        raise InvalidInput("user", known_names.unknown_user(session, user))
    _, handover = roles.assign(records.roster(session, incident.id), role, user)
    if not handover.changed:
        return None
    if handover.previous is not None:
        session.execute(
            delete(IncidentRoleHolder).where(
                IncidentRoleHolder.incident_id == incident.id,
                IncidentRoleHolder.role == role.value,
                IncidentRoleHolder.user_name == handover.previous,
            )
        )
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
    _require_open_record(incident)
    role = _parse_role(role_name)
    if user is None and role not in roles.LEAD_ROLES:
        raise InvalidInput("user", f"required to remove someone from {role}")
    try:
        _, handover = roles.unassign(records.roster(session, incident.id), role, user)
    except roles.RoleError as error:
        raise Conflict(f"{incident.reference}: {error}") from error
    session.execute(
        delete(IncidentRoleHolder).where(
            IncidentRoleHolder.incident_id == incident.id,
            IncidentRoleHolder.role == role.value,
            IncidentRoleHolder.user_name == handover.previous,
        )
    )
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
    entry = _append(
        session,
        incident,
        EntryDraft(kind=EntryKind.ROLE_CHANGE, text=text, author=actor.name, details=details),
        now,
    )
    _audit(session, incident, actor, "role", now, **details)
    return entry


def add_note(
    session: Session,
    incident: Incident,
    text: str,
    kind: str,
    actor: Actor,
    now: datetime,
    *,
    occurred_at: datetime | None = None,
    corrects: int | None = None,
) -> TimelineEntry:
    """A scribe note (observation, decision, action), possibly back-dated, or a correction."""
    try:
        note_kind = NoteKind(kind)
    except ValueError as error:
        kinds = ", ".join(k.value for k in NoteKind)
        raise InvalidInput("kind", f"expected one of {kinds}, got {kind!r}") from error
    entry = _append(
        session,
        incident,
        EntryDraft(
            kind=EntryKind.CORRECTION if corrects is not None else EntryKind.NOTE,
            text=text,
            author=actor.name,
            occurred_at=occurred_at,
            note_kind=note_kind,
            corrects=corrects,
        ),
        now,
    )
    _audit(
        session,
        incident,
        actor,
        "correction" if corrects is not None else "note",
        now,
        sequence=entry.sequence,
        corrects=corrects,
    )
    return entry


def set_checklist_item(
    session: Session, incident: Incident, key: str, done: bool, actor: Actor, now: datetime
) -> TimelineEntry | None:
    """Tick or untick one item by key; None when it already was."""
    _require_open_record(incident)
    rows = {row.key: row for row in records.checklist_rows(session, incident.id)}
    items = [records.checklist_item(row) for row in rows.values()]
    try:
        if done:
            change = checklist.tick(items, key, actor.name, now)
        else:
            change = checklist.untick(items, key)
    except checklist.UnknownItem as error:
        raise InvalidInput("key", f"{error}; see the incident's checklist for keys") from error
    if not change.changed:
        return None
    row = rows[key]
    row.done_by, row.done_at = change.item.done_by, change.item.done_at
    verb = "Ticked" if done else "Unticked"
    details = {"item": key, "done": str(done).lower()}
    entry = _append(
        session,
        incident,
        EntryDraft(
            kind=EntryKind.CHECKLIST,
            text=f"{verb} “{row.text}” ({row.section})",
            author=actor.name,
            details=details,
        ),
        now,
    )
    _audit(session, incident, actor, "checklist", now, **details)
    return entry


def _shown(value: Any) -> str:
    """A value as it appears in a field-change entry's details: JSON, times in ISO 8601."""
    if isinstance(value, datetime):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def update_fields(
    session: Session, incident: Incident, changes: Mapping[str, Any], actor: Actor, now: datetime
) -> list[TimelineEntry]:
    """Apply the given fields; one timeline entry per field whose value changed.

    ``changes`` holds only the fields to change: title, summary,
    impact_started_at, services, tags, impact (a partial mapping of
    users_affected, revenue_impact, error_budget_consumed), links, and
    custom_fields (a partial mapping; null removes a field).
    """
    _require_open_record(incident)
    new: dict[str, tuple[Any, Any]] = {}
    if "title" in changes:
        title = str(changes["title"]).strip()
        if not title:
            raise InvalidInput("title", "cannot be empty")
        new["title"] = (incident.title, title)
    if "summary" in changes:
        new["summary"] = (incident.summary, str(changes["summary"] or "").strip())
    if "impact_started_at" in changes:
        started = changes["impact_started_at"]
        _check_times(incident.detected_at, started)
        new["impact_started_at"] = (incident.impact_started_at, started)
    if "services" in changes:
        new["services"] = (
            records.services(session, incident.id),
            _names("services", changes["services"]),
        )
    if "tags" in changes:
        new["tags"] = (records.tags(session, incident.id), _names("tags", changes["tags"]))
    for name, value in dict(changes.get("impact") or {}).items():
        if name not in IMPACT_FIELDS:
            raise InvalidInput(f"impact.{name}", f"expected one of {', '.join(IMPACT_FIELDS)}")
        new[f"impact.{name}"] = (getattr(incident, name), value)
    if "links" in changes:
        new["links"] = (incident.links, [dict(link) for link in changes["links"]])
    if "custom_fields" in changes:
        merged = _custom_fields(session, incident.custom_fields, changes["custom_fields"])
        new["custom_fields"] = (incident.custom_fields, merged)

    entries = []
    for name, (before, after) in new.items():
        if before == after:
            continue
        _apply_field(session, incident, name, after)
        details = {"field": name, "from": _shown(before), "to": _shown(after)}
        entries.append(
            _append(
                session,
                incident,
                EntryDraft(
                    kind=EntryKind.FIELD_CHANGE,
                    text=f"{name} changed from {details['from']} to {details['to']}",
                    author=actor.name,
                    details=details,
                ),
                now,
            )
        )
        _audit(session, incident, actor, "update", now, **details)
    return entries


def _apply_field(session: Session, incident: Incident, name: str, value: Any) -> None:
    if name == "services":
        _set_names(session, IncidentService, incident.id, value)
    elif name == "tags":
        _set_names(session, IncidentTag, incident.id, value)
    elif name.startswith("impact."):
        setattr(incident, name.removeprefix("impact."), value)
    else:
        setattr(incident, name, value)


def duty_definitions(rows: Sequence[IncidentChecklistItem]) -> dict[Role, RoleDefinition]:
    """The role definitions frozen into an incident at declaration, from its duty items."""
    texts: dict[Role, list[str]] = {}
    for row in rows:
        if row.role is not None:
            texts.setdefault(Role(row.role), []).append(row.text)
    return {role: RoleDefinition(role, tuple(items)) for role, items in texts.items()}
