"""Component statuses: what the public sees, and what open incidents suggest it should see.

A component's public status changes only when a person confirms it (posting
an update, or accepting a proposal), so an alert storm never paints the
public page red by itself. Tocsin *proposes* a status from the open incidents
on the services that name the component: each severity level maps to a status
(``status_page.proposals``, else SEV-1 → major outage, SEV-2 → partial
outage, SEV-3 → degraded performance, milder levels nothing), and the worst
proposal wins. A component that is not operational while no open incident
affects it is proposed operational again.

Every change is written to ``status_component_history`` by :func:`set_status`,
which also queues, in the same transaction, the job that tells webhook
subscribers about it (Statuspage's component update).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from tocsin.config.organisation import SERVICE
from tocsin.config.stored import loaded
from tocsin.config.tables import Definition
from tocsin.domain.lifecycle import OPEN_STATUSES
from tocsin.domain.refusals import Invalid, NotFound
from tocsin.domain.severity import SeverityScale, level_key
from tocsin.incidents import configured
from tocsin.incidents.tables import Incident, IncidentService
from tocsin.statuspage import subscriber_jobs
from tocsin.statuspage.config_schema import (
    STATUS_PAGE,
    STATUS_PAGE_COMPONENT,
    STATUS_PAGE_NAME,
    ComponentConfig,
    ComponentStatus,
    StatusPageSettings,
)
from tocsin.statuspage.tables import ComponentState, ComponentStatusChange

#: How bad each status is: the worst one wins a roll-up.
BADNESS = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}
#: The default proposal for the most severe levels, by rank.
DEFAULT_PROPOSALS = (
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.DEGRADED_PERFORMANCE,
)


@dataclass(frozen=True)
class Proposal:
    status: ComponentStatus
    #: For people: "INC-12 (SEV-1) on checkout-api".
    because: str
    incident_ids: tuple[int, ...]


@dataclass(frozen=True)
class Component:
    name: str
    group: str
    description: str
    position: int
    only_show_if_degraded: bool
    status: ComponentStatus
    #: When the status last changed; when the component was defined if never.
    changed_at: datetime
    created_at: datetime
    proposal: Proposal | None

    @property
    def shown(self) -> bool:
        """Whether the public page lists it."""
        return not self.only_show_if_degraded or self.status != ComponentStatus.OPERATIONAL


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=BADNESS.__getitem__, default=ComponentStatus.OPERATIONAL)


def settings(session: Session) -> StatusPageSettings:
    """The ``status_page`` definition, or the defaults when none is stored (or loads)."""
    rows = session.scalars(
        select(Definition).where(
            Definition.kind == STATUS_PAGE, Definition.name == STATUS_PAGE_NAME
        )
    )
    for _, value in loaded(rows, lambda row: StatusPageSettings.model_validate(row.spec)):
        return value
    return StatusPageSettings()


def _definitions(session: Session) -> list[tuple[Definition, ComponentConfig]]:
    rows = session.scalars(
        select(Definition)
        .where(Definition.kind == STATUS_PAGE_COMPONENT)
        .order_by(Definition.position, Definition.name)
    )
    return list(loaded(rows, lambda row: ComponentConfig.model_validate(row.spec)))


def service_components(session: Session) -> dict[str, list[str]]:
    """The components each service names."""
    rows = session.execute(
        select(Definition.name, Definition.spec).where(Definition.kind == SERVICE)
    )
    found: dict[str, list[str]] = {}
    for name, spec in rows:
        components = spec.get("components") if isinstance(spec, dict) else None
        if isinstance(components, list):
            found[name] = [str(component) for component in components]
    return found


def proposed_status(
    level: str, scale: SeverityScale, proposals: Mapping[str, ComponentStatus]
) -> ComponentStatus | None:
    """The status an open incident at ``level`` suggests for its components."""
    for label, status in proposals.items():
        if level_key(label) == level_key(level):
            return status
    found = scale.get(level)
    if found is None or found.rank >= len(DEFAULT_PROPOSALS):
        return None
    return DEFAULT_PROPOSALS[found.rank]


def proposals(session: Session, page: StatusPageSettings) -> dict[str, Proposal]:
    """What the open incidents (drills aside) suggest, by component."""
    by_service = service_components(session)
    scale = configured.scale(session)
    rows = session.execute(
        select(Incident.id, Incident.severity, IncidentService.name)
        .join(IncidentService, IncidentService.incident_id == Incident.id)
        .where(Incident.status.in_([status.value for status in OPEN_STATUSES]))
        .where(Incident.drill.is_(False))
        .order_by(Incident.id)
    )
    found: dict[str, list[tuple[ComponentStatus, str, int]]] = {}
    for incident_id, severity, service in rows:
        status = proposed_status(severity, scale, page.proposals)
        if status is None:
            continue
        for component in by_service.get(service, ()):
            reason = f"INC-{incident_id} ({severity}) on {service}"
            found.setdefault(component, []).append((status, reason, incident_id))
    result = {}
    for component, suggestions in found.items():
        status = worst(status for status, _, _ in suggestions)
        reasons = [reason for chosen, reason, _ in suggestions if chosen == status]
        ids = tuple(sorted({incident_id for _, _, incident_id in suggestions}))
        result[component] = Proposal(status, "; ".join(reasons), ids)
    return result


def listing(session: Session, *, with_proposals: bool = True) -> list[Component]:
    """Every configured component in page order, with its status (and proposal)."""
    states = {state.name: state for state in session.scalars(select(ComponentState))}
    suggested = proposals(session, settings(session)) if with_proposals else {}
    result = []
    for row, config in _definitions(session):
        state = states.get(row.name)
        status = ComponentStatus(state.status) if state else ComponentStatus.OPERATIONAL
        proposal = suggested.get(row.name)
        if proposal is None and status not in (
            ComponentStatus.OPERATIONAL,
            ComponentStatus.UNDER_MAINTENANCE,
        ):
            proposal = Proposal(ComponentStatus.OPERATIONAL, "no open incident affects it", ())
        if proposal is not None and proposal.status == status:
            proposal = None
        result.append(
            Component(
                name=row.name,
                group=config.group,
                description=config.description,
                position=row.position,
                only_show_if_degraded=config.only_show_if_degraded,
                status=status,
                changed_at=state.changed_at if state else row.created_at,
                created_at=row.created_at,
                proposal=proposal if with_proposals else None,
            )
        )
    return result


def known(session: Session, name: str) -> None:
    """Refuse a component that is not configured."""
    names = [row.name for row, _ in _definitions(session)]
    if name not in names:
        listed = ", ".join(names) or "none is configured"
        raise NotFound(f"no status page component named {name!r}; components: {listed}")


def parse_status(field_name: str, value: str) -> ComponentStatus:
    try:
        return ComponentStatus(value)
    except ValueError:
        choices = ", ".join(status.value for status in ComponentStatus)
        raise Invalid(field_name, f"expected one of {choices}, got {value!r}") from None


def set_status(
    session: Session,
    name: str,
    status: ComponentStatus,
    *,
    by: str,
    now: datetime,
    public_incident_id: int | None = None,
) -> ComponentStatus:
    """Make ``status`` the public status of ``name``; the previous one is returned."""
    state = session.get(ComponentState, name, with_for_update=True)
    if state is None:
        state = ComponentState(
            name=name,
            status=ComponentStatus.OPERATIONAL.value,
            changed_at=now,
            created_at=now,
        )
        session.add(state)
    old = ComponentStatus(state.status)
    if old == status:
        return old
    state.status = status.value
    state.changed_at = now
    change = ComponentStatusChange(
        component=name,
        status=status.value,
        started_at=now,
        public_incident_id=public_incident_id,
        changed_by=by,
    )
    session.add(change)
    session.flush()
    subscriber_jobs.queue_component_fan_out(session, change, now)
    return old


def statuses_before(session: Session, change_ids: Collection[int]) -> dict[int, str]:
    """The status each change replaced: its component's previous change's, else operational.

    A component's changes are written under the lock of its row in
    ``status_components``, so their ids are in the order they happened.
    """
    earlier = aliased(ComponentStatusChange)
    previous = (
        select(earlier.status)
        .where(
            earlier.component == ComponentStatusChange.component,
            earlier.id < ComponentStatusChange.id,
        )
        .order_by(earlier.id.desc())
        .limit(1)
        .correlate(ComponentStatusChange)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            ComponentStatusChange.id,
            func.coalesce(previous, ComponentStatus.OPERATIONAL.value),
        ).where(ComponentStatusChange.id.in_(change_ids))
    )
    return {change_id: str(status) for change_id, status in rows}
