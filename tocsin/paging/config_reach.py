"""Services that alerts can reach but whose pages would reach nobody: warnings at their line.

A service is reachable by alerts when an integration belongs to it or a
routing rule sends alerts to it. Its pages reach nobody when no escalation
policy applies to it (its own, its team's, ``paging.default_escalation_policy``:
see :func:`tocsin.paging.config_schema.escalation_policy_of`), or when no step of that policy
targets anybody who can be paged: a person defined under ``users:`` with a
contact method, named directly, in a schedule's layer, as a team member or
as a team role holder (a bare ``role`` target means the service's team's).
"""

from __future__ import annotations

from tocsin.alerts.config_schema import (
    INTEGRATION_KIND,
    ROUTING_RULE_KIND,
)
from tocsin.config.catalog import Catalog
from tocsin.config.errors import Level
from tocsin.config.organisation import SERVICE_KIND, TEAM_KIND
from tocsin.config.references import unknown
from tocsin.oncall.config_schema import SCHEDULE_KIND
from tocsin.paging.config_schema import (
    ESCALATION_POLICY_KIND,
    PAGING_KIND,
    PAGING_NAME,
    TargetConfig,
    escalation_policy_of,
)

_NO_POLICY = (
    "no escalation policy applies to it (none of its own, none of its team's, "
    "no paging.default_escalation_policy)"
)


def default_policy(catalog: Catalog) -> str | None:
    entry = catalog.entries(PAGING_KIND).get(PAGING_NAME)
    return entry.model.default_escalation_policy if entry is not None and entry.model else None


def _reached_through(catalog: Catalog) -> dict[str, list[str]]:
    """Service name -> what sends alerts to it ("integration 'prometheus'", ...)."""
    found: dict[str, list[str]] = {}
    for name, integration in catalog.entries(INTEGRATION_KIND).items():
        if integration.model is not None:
            found.setdefault(integration.model.service, []).append(f"integration {name!r}")
    for name, rule in catalog.entries(ROUTING_RULE_KIND).items():
        if rule.model is not None and rule.model.service is not None:
            found.setdefault(rule.model.service, []).append(f"routing rule {name!r}")
    return found


def _pageable(catalog: Catalog, person: str | None) -> bool:
    """Whether ``person`` is defined under ``users:`` with a contact method."""
    entry = catalog.users.get(person) if person is not None else None
    return entry is not None and entry.model is not None and bool(entry.model.contact_methods)


def _people(catalog: Catalog, target: TargetConfig, team_name: str | None) -> list[str | None]:
    """Everyone ``target`` can mean at some time (a bare role: in ``team_name``)."""
    if target.user is not None:
        return [target.user]
    if target.schedule is not None:
        entry = catalog.entries(SCHEDULE_KIND).get(target.schedule)
        schedule = entry.model if entry is not None else None
        if schedule is None:
            return []
        layers = [layer for layer in schedule.layers or [] if target.layer in (None, layer.name)]
        people: list[str | None] = [p for layer in layers for p in layer.participants]
        for week in schedule.weeks or []:
            people += [p for name, p in week.items() if target.layer in (None, name)]
        return people
    team_entry = catalog.entries(TEAM_KIND).get(target.team or team_name or "")
    team = team_entry.model if team_entry is not None else None
    if team is None:
        return []
    if target.role is not None:
        return [team.roles.get(target.role)]
    return list(team.members)


def check_service_paging(catalog: Catalog) -> None:
    """Warn about every service whose pages would reach nobody (see the module's rules)."""
    default = default_policy(catalog)
    paging = catalog.entries(PAGING_KIND).get(PAGING_NAME)
    policies = catalog.entries(ESCALATION_POLICY_KIND)
    if paging is not None and default is not None and default not in policies:
        message = unknown("escalation policy", default, policies)
        catalog.issues.append(paging.issue(message, at=("default_escalation_policy",)))
        return
    reached = _reached_through(catalog)
    teams = catalog.entries(TEAM_KIND)
    for entry in catalog.entries(SERVICE_KIND).values():
        service = entry.model
        if service is None:
            continue
        team_entry = teams.get(service.team) if service.team is not None else None
        if service.team is not None and (team_entry is None or team_entry.model is None):
            continue  # an unknown or invalid team is an error of its own
        team = team_entry.model if team_entry is not None else None
        policy = escalation_policy_of(service, team, default)
        how = reached.get(entry.name)
        if policy is None:
            if how:
                message = f"alerts reach it ({', '.join(how)}) but {_NO_POLICY}: they page nobody"
            else:
                message = (
                    "has no escalation policy and neither has its team: its alerts page nobody"
                )
            catalog.issues.append(entry.issue(message, level=Level.WARNING))
            continue
        policy_entry = policies.get(policy)
        if not how or policy_entry is None or policy_entry.model is None:
            continue
        targets = [target for step in policy_entry.model.steps for target in step.targets]
        if not any(
            _pageable(catalog, person)
            for target in targets
            for person in _people(catalog, target, service.team)
        ):
            message = (
                f"alerts reach it ({', '.join(how)}) but its escalation policy {policy!r} "
                "targets nobody who can be paged (a person defined under users with a "
                "contact method): they page nobody"
            )
            catalog.issues.append(entry.issue(message, level=Level.WARNING))
