"""Public incidents, their updates and scheduled maintenance: what people choose to tell.

Nothing here is automatic: a person publishes an incident, writes each
update and sets the statuses of the components it affects. Each update is
also appended to the Tocsin incident's timeline (as a ``status_update``
entry), and nothing of the timeline travels the other way. Resolving (or
completing a maintenance) returns its components to operational unless the
update says otherwise or another unresolved public incident still lists them.
Each update also plans what follows it (:mod:`tocsin.statuspage.communications`:
the next deadline's reminder, internal reports, customer mails), in its transaction.

Only the incident's Incident Commander or Communications Lead (or an admin)
speaks for it once either role is held; before that, any responder may, so
the first update never waits for roles to be handed out.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.db.audit import record
from tocsin.domain.refusals import Conflict, Forbidden, Invalid, NotFound
from tocsin.domain.roles import Role
from tocsin.domain.timeline import EntryDraft, EntryKind
from tocsin.incidents import configured, records
from tocsin.incidents.editing import Actor, append
from tocsin.incidents.tables import Incident
from tocsin.statuspage import communications, exporting, freshness, maintenance, subscriber_jobs
from tocsin.statuspage import components as component_states
from tocsin.statuspage.config_schema import ComponentStatus
from tocsin.statuspage.tables import PublicIncident, PublicUpdate


class Kind(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    #: Statuspage's impact of every scheduled maintenance.
    MAINTENANCE = "maintenance"


INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
#: Statuses after which an incident or maintenance is over.
FINISHED = frozenset({"resolved", "postmortem", "completed"})
#: The impact a new public incident gets from its severity's rank, most severe first.
IMPACT_BY_RANK = (Impact.CRITICAL, Impact.MAJOR, Impact.MINOR)
BODY_LIMIT = 5000
NAME_LIMIT = 200
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
SPEAKERS = (Role.INCIDENT_COMMANDER, Role.COMMUNICATIONS_LEAD)


def new_code() -> str:
    """A public identifier like Statuspage's: 12 characters, unguessable."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


@dataclass(frozen=True)
class UpdateDraft:
    """An update about to be posted: ``components`` are the affected ones' new statuses."""

    status: str
    body: str
    components: Mapping[str, ComponentStatus] = field(default_factory=dict)
    notify: bool = True
    #: When it happened, for updates posted after the fact; None means now.
    display_at: datetime | None = None
    impact: Impact | None = None


def find(session: Session, code: str, *, lock: bool = False) -> PublicIncident:
    query = select(PublicIncident).where(PublicIncident.code == code)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound(f"no public incident or maintenance {code!r}")
    return found


def for_incident(session: Session, incident_id: int) -> PublicIncident | None:
    return session.scalar(select(PublicIncident).where(PublicIncident.incident_id == incident_id))


def updates(session: Session, public_ids: Sequence[int]) -> dict[int, list[PublicUpdate]]:
    """The updates of each public incident, newest first."""
    found: dict[int, list[PublicUpdate]] = {public_id: [] for public_id in public_ids}
    if public_ids:
        rows = session.scalars(
            select(PublicUpdate)
            .where(PublicUpdate.public_incident_id.in_(public_ids))
            .order_by(PublicUpdate.display_at.desc(), PublicUpdate.id.desc())
        )
        for row in rows:
            found[row.public_incident_id].append(row)
    return found


def check_speaker(session: Session, incident: Incident, actor: Actor) -> None:
    """Refuse anyone but the IC, the Communications Lead or an admin, once either is held."""
    if actor.is_admin:
        return
    holders = [row for row in records.role_rows(session, incident.id) if row.role in SPEAKERS]
    if holders and actor.name not in {row.user_name for row in holders}:
        names = ", ".join(sorted({row.user_name for row in holders}))
        raise Forbidden(
            f"only the Incident Commander or the Communications Lead ({names}) or an admin "
            f"speaks for {incident.reference} in public"
        )


def _text(field_name: str, value: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise Invalid(field_name, "must not be empty")
    if len(text) > limit:
        raise Invalid(field_name, f"must be at most {limit} characters, got {len(text)}")
    return text


def _check_status(kind: Kind, status: str) -> None:
    allowed = INCIDENT_STATUSES if kind is Kind.INCIDENT else MAINTENANCE_STATUSES
    if status not in allowed:
        raise Invalid("status", f"expected one of {', '.join(allowed)}, got {status!r}")


def default_impact(session: Session, incident: Incident) -> Impact:
    level = configured.scale(session).get(incident.severity)
    if level is None or level.rank >= len(IMPACT_BY_RANK):
        return Impact.NONE
    return IMPACT_BY_RANK[level.rank]


def _still_listed(session: Session, public: PublicIncident) -> set[str]:
    """Components another unfinished public incident or maintenance lists."""
    rows = session.scalars(
        select(PublicIncident.components).where(
            PublicIncident.id != public.id,
            PublicIncident.status.not_in(FINISHED),
            PublicIncident.status != "scheduled",
        )
    )
    return {str(name) for names in rows for name in names}


def _told_before(session: Session, public: PublicIncident, name: str) -> ComponentStatus:
    """A backfilled incident's status of ``name`` before this update: its last update's."""
    for affected in session.scalars(
        select(PublicUpdate.affected_components)
        .where(PublicUpdate.public_incident_id == public.id)
        .order_by(PublicUpdate.id.desc())
    ):
        for item in affected:
            if item["name"] == name:
                return ComponentStatus(item["new_status"])
    return ComponentStatus.OPERATIONAL


def _new_statuses(
    session: Session, public: PublicIncident, draft: UpdateDraft
) -> dict[str, ComponentStatus]:
    """The affected components' statuses after ``draft`` (finishing frees the rest)."""
    for name in draft.components:
        component_states.known(session, name)
    wanted = dict(draft.components)
    if draft.status == "in_progress":
        for name in public.components:
            wanted.setdefault(name, ComponentStatus.UNDER_MAINTENANCE)
    if draft.status in FINISHED:
        elsewhere = set() if public.backfilled else _still_listed(session, public)
        for name in public.components:
            if name not in elsewhere:
                wanted.setdefault(name, ComponentStatus.OPERATIONAL)
    return wanted


def post_update(
    session: Session, public: PublicIncident, draft: UpdateDraft, actor: Actor, now: datetime
) -> PublicUpdate:
    """Post ``draft`` on ``public`` and set its components' statuses (caller's transaction)."""
    kind = Kind(public.kind)
    _check_status(kind, draft.status)
    body = _text("body", draft.body, BODY_LIMIT)
    at = draft.display_at or now
    if draft.display_at is not None and draft.display_at > now:
        raise Invalid("display_at", "must not be in the future")
    incident = session.get(Incident, public.incident_id) if public.incident_id else None
    if incident is not None:
        check_speaker(session, incident, actor)
    affected = []
    for name, status in _new_statuses(session, public, draft).items():
        if public.backfilled:
            old = _told_before(session, public, name)
        else:
            old = component_states.set_status(
                session, name, status, by=actor.name, now=now, public_incident_id=public.id
            )
        affected.append(
            {"code": name, "name": name, "old_status": old.value, "new_status": status.value}
        )
        if name not in public.components:
            public.components = [*public.components, name]
    update = PublicUpdate(
        code=new_code(),
        public_incident_id=public.id,
        status=draft.status,
        body=body,
        affected_components=affected,
        notify=draft.notify,
        created_at=now,
        display_at=at,
        author=actor.name,
    )
    session.add(update)
    _advance(public, draft, at, now)
    session.flush()
    freshness.changed(session)
    exporting.queue(session, now)
    if kind is Kind.MAINTENANCE:
        maintenance.follow(session, public, now)
    subscriber_jobs.queue_fan_out(session, public, update, now)
    if incident is not None:
        text = f"Public update ({draft.status}): {body}"
        append(session, incident, EntryDraft(EntryKind.STATUS_UPDATE, text, actor.name, at), now)
    communications.after_update(session, public, update, incident, now)
    record(
        session,
        at=now,
        actor=actor.name,
        action=f"status_page.{kind.value}.update",
        object_type="public_incident",
        object_key=public.code,
        detail={"status": draft.status, "notify": draft.notify},
        remote_addr=actor.remote_addr,
    )
    return update


def _advance(public: PublicIncident, draft: UpdateDraft, at: datetime, now: datetime) -> None:
    public.status = draft.status
    public.updated_at = now
    public.last_update_at = max(public.last_update_at, at)
    if draft.impact is not None:
        public.impact = draft.impact.value
    if draft.status in ("monitoring", "verifying") and public.monitoring_at is None:
        public.monitoring_at = at
    if draft.status == "in_progress":
        public.started_at = at
    if draft.status in FINISHED:
        if public.resolved_at is None:
            public.resolved_at = at
    else:
        public.resolved_at = None


def _not_a_drill(incident: Incident) -> None:
    if incident.drill:
        raise Conflict(
            f"{incident.reference} is a drill: drills are never shown on a status page "
            "nor told to its subscribers and customers"
        )


def publish(
    session: Session,
    incident: Incident,
    *,
    name: str,
    draft: UpdateDraft,
    actor: Actor,
    now: datetime,
) -> tuple[PublicIncident, PublicUpdate]:
    """Make ``incident`` public with its first update; a drill is never made public."""
    _not_a_drill(incident)
    if for_incident(session, incident.id) is not None:
        raise Conflict(f"{incident.reference} is already published")
    check_speaker(session, incident, actor)
    public = _new(
        session,
        Kind.INCIDENT,
        name=name,
        impact=draft.impact or default_impact(session, incident),
        started_at=draft.display_at or incident.impact_started_at or incident.detected_at,
        actor=actor,
        now=now,
    )
    public.incident_id = incident.id
    return public, post_update(session, public, draft, actor, now)


def backfill(
    session: Session,
    *,
    name: str,
    impact: Impact,
    started_at: datetime,
    drafts: Sequence[UpdateDraft],
    actor: Actor,
    now: datetime,
    incident: Incident | None = None,
) -> PublicIncident:
    """A public incident posted after the fact: its updates carry the times they happened.

    It is over by the time it is told, so it changes no component's current
    status (nor tells webhook subscribers of a change): its updates record
    the statuses they describe, for its page and the history.
    """
    if not drafts:
        raise Invalid("updates", "a backfilled incident needs at least one update")
    if started_at > now:
        raise Invalid("started_at", "must not be in the future")
    if incident is not None:
        _not_a_drill(incident)
        if for_incident(session, incident.id) is not None:
            raise Conflict(f"{incident.reference} is already published")
    public = _new(
        session,
        Kind.INCIDENT,
        name=name,
        impact=impact,
        started_at=started_at,
        actor=actor,
        now=now,
    )
    public.incident_id = incident.id if incident is not None else None
    public.backfilled = True
    for draft in sorted(drafts, key=lambda each: each.display_at or now):
        if draft.display_at is not None and draft.display_at < started_at:
            raise Invalid("display_at", "an update cannot come before the incident started")
        post_update(session, public, draft, actor, now)
    return public


def schedule_maintenance(
    session: Session,
    *,
    name: str,
    body: str,
    components: Sequence[str],
    scheduled_for: datetime,
    scheduled_until: datetime,
    auto_transition: bool,
    notify: bool,
    actor: Actor,
    now: datetime,
) -> PublicIncident:
    """Announce a maintenance; its components go under maintenance when it starts."""
    if scheduled_until <= scheduled_for:
        raise Invalid("scheduled_until", "must be after scheduled_for")
    if scheduled_until <= now:
        raise Invalid("scheduled_until", "must be in the future")
    if not components:
        raise Invalid("components", "name at least one component")
    for component in components:
        component_states.known(session, component)
    public = _new(
        session,
        Kind.MAINTENANCE,
        name=name,
        impact=Impact.MAINTENANCE,
        started_at=scheduled_for,
        actor=actor,
        now=now,
    )
    public.scheduled_for = scheduled_for
    public.scheduled_until = scheduled_until
    public.auto_transition = auto_transition
    public.components = list(dict.fromkeys(components))
    post_update(session, public, UpdateDraft("scheduled", body, notify=notify), actor, now)
    maintenance.schedule(session, public, now, notify=notify)
    return public


def _new(
    session: Session,
    kind: Kind,
    *,
    name: str,
    impact: Impact,
    started_at: datetime,
    actor: Actor,
    now: datetime,
) -> PublicIncident:
    public = PublicIncident(
        code=new_code(),
        kind=kind.value,
        name=_text("name", name, NAME_LIMIT),
        status="investigating" if kind is Kind.INCIDENT else "scheduled",
        impact=impact.value,
        components=[],
        backfilled=False,
        created_at=now,
        updated_at=now,
        started_at=started_at,
        last_update_at=started_at,
        auto_transition=False,
        created_by=actor.name,
    )
    session.add(public)
    session.flush()
    return public


def set_component(
    session: Session, name: str, status: ComponentStatus, actor: Actor, now: datetime
) -> ComponentStatus:
    """A person sets (or confirms the proposed) public status of a component."""
    component_states.known(session, name)
    old = component_states.set_status(session, name, status, by=actor.name, now=now)
    if old != status:
        freshness.changed(session)
        exporting.queue(session, now)
        record(
            session,
            at=now,
            actor=actor.name,
            action="status_page.component.status",
            object_type="status_page_component",
            object_key=name,
            detail={"from": old.value, "to": status.value},
            remote_addr=actor.remote_addr,
        )
    return old
