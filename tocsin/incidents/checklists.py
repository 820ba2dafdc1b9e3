"""An incident's checklist: the response checklist and each role's duties, ticked by key.

Both are copied into the incident when it is declared, so later configuration
changes do not rewrite running incidents; the duty items also keep the role
definitions the incident started with (:func:`duty_definitions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import chain

from sqlalchemy.orm import Session

from tocsin.domain import checklist, roles
from tocsin.domain.refusals import Invalid
from tocsin.domain.roles import Assignment, Role, RoleDefinition, Roster
from tocsin.domain.timeline import EntryDraft, EntryKind, TimelineEntry
from tocsin.incidents import configured, records
from tocsin.incidents.editing import Actor, append, audit, require_open_record, role_title
from tocsin.incidents.tables import Incident, IncidentChecklistItem


def duty_section(role: Role) -> str:
    """The checklist section that holds ``role``'s duties."""
    return f"{role_title(role)} duties"


def instantiate(session: Session, incident_id: int) -> None:
    """Copy the response checklist and every role's duties into the incident.

    Duty keys come from :func:`roles.duties` over a roster where each defined
    role is held by a stand-in named after the role.
    """
    items = checklist.instantiate(configured.checklist_template(session))
    role_definitions = configured.role_definitions(session)
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


def set_checklist_item(
    session: Session, incident: Incident, key: str, done: bool, actor: Actor, now: datetime
) -> TimelineEntry | None:
    """Tick or untick one item by key; None when it already was."""
    require_open_record(incident)
    rows = {row.key: row for row in records.checklist_rows(session, incident.id)}
    items = [records.checklist_item(row) for row in rows.values()]
    try:
        if done:
            change = checklist.tick(items, key, actor.name, now)
        else:
            change = checklist.untick(items, key)
    except checklist.UnknownItem as error:
        raise Invalid("key", f"{error}; see the incident's checklist for keys") from error
    if not change.changed:
        return None
    row = rows[key]
    row.done_by, row.done_at = change.item.done_by, change.item.done_at
    verb = "Ticked" if done else "Unticked"
    details = {"item": key, "done": str(done).lower()}
    entry = append(
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
    audit(session, incident, actor, "checklist", now, **details)
    return entry


def duty_definitions(rows: Sequence[IncidentChecklistItem]) -> dict[Role, RoleDefinition]:
    """The role definitions frozen into an incident at declaration, from its duty items."""
    texts: dict[Role, list[str]] = {}
    for row in rows:
        if row.role is not None:
            texts.setdefault(Role(row.role), []).append(row.text)
    return {role: RoleDefinition(role, tuple(items)) for role, items in texts.items()}
