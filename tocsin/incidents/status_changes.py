"""Moving an incident along its lifecycle: triage, responding, mitigated, resolved, closed.

The lifecycle's rules are :mod:`tocsin.domain.lifecycle`'s; this module stamps
the milestones, checks who may resolve, and tells paging when the incident is
acknowledged, resolved or closed (:mod:`tocsin.incidents.changes`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain import lifecycle, roles
from tocsin.domain.lifecycle import Status
from tocsin.domain.refusals import Conflict, Forbidden, Invalid
from tocsin.domain.timeline import EntryDraft, EntryKind, TimelineEntry
from tocsin.incidents import changes, configured, records
from tocsin.incidents.editing import Actor, append, audit, role_title
from tocsin.incidents.tables import Incident


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
        raise Invalid("status", str(error)) from error
    current = Status(incident.status)
    try:
        result = lifecycle.transition(current, wanted, reason)
    except lifecycle.InvalidTransition as error:
        raise Conflict(f"{incident.reference}: {error}") from error
    except lifecycle.ReasonRequired as error:
        raise Invalid("reason", str(error).removeprefix("reason: ")) from error
    if wanted is Status.RESOLVED:
        _check_may_resolve(session, incident, actor)
    stamped = lifecycle.stamp(records.milestones(incident), result, now)
    if wanted in (Status.RESOLVED, Status.CLOSED):
        changes.enqueue(session, incident, wanted.value, now)
    elif incident.acknowledged_at is None and stamped.acknowledged_at is not None:
        changes.enqueue(session, incident, "acknowledged", now)
    elif current is Status.RESOLVED:
        changes.enqueue(session, incident, "reopened", now)
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
    entry = append(
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
    audit(session, incident, actor, "status", now, **details)
    return entry


def _check_may_resolve(session: Session, incident: Incident, actor: Actor) -> None:
    policy = configured.resolve_policy(session)
    held = records.roster(session, incident.id).roles_of(actor.name)
    if roles.may_resolve(held, actor.is_admin, policy):
        return
    who = [role_title(role) for role in sorted(policy.roles)]
    if policy.admins:
        who.append("an admin")
    raise Forbidden(
        f"only the {' or '.join(who)} may resolve {incident.reference}; "
        f"{actor.name} holds {', '.join(sorted(held)) or 'no role'} in it"
    )
