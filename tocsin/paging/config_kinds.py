"""Reading the paging keys of configuration files, and checking the policies named anywhere.

References must resolve within the configuration directory (people aside:
they get a user when named but not defined), so reviewing a change to the
files is enough to know it is complete.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from tocsin.alerts.config_schema import ROUTING_RULE_KIND
from tocsin.config.catalog import Catalog, Entry
from tocsin.config.errors import FieldPath, Level
from tocsin.config.fields import user_name
from tocsin.config.kinds import KindSet, named_items
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.config.organisation import SERVICE_KIND, TEAM_KIND
from tocsin.config.references import unknown
from tocsin.oncall.config_schema import SCHEDULE_KIND
from tocsin.paging.config_reach import check_service_paging
from tocsin.paging.config_schema import (
    ESCALATION_POLICY_KIND,
    NOTIFICATION_RULES_KIND,
    PAGING_KIND,
    PAGING_NAME,
    EscalationPolicyConfig,
    NotificationRulesConfig,
    PagingConfig,
    TargetConfig,
)


def read_policies(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "escalation policies"):
        model = validate_into(EscalationPolicyConfig, data, source, path, catalog.issues)
        entry = Entry(name, model, source, path)
        catalog.add(catalog.entries(ESCALATION_POLICY_KIND), "escalation policy", entry)


def read_paging(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "paging"):
        return
    model = validate_into(PagingConfig, to_plain(node), source, (key,), catalog.issues)
    catalog.entries(PAGING_KIND)[PAGING_NAME] = Entry(PAGING_NAME, model, source, (key,))


def read_notification_rules(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """Rules by person: ``notification_rules: {alice: {high_urgency: [...]}}``."""
    for name, data, path in named_items(catalog, source, key, node, "people", user_name):
        model = validate_into(NotificationRulesConfig, data, source, path, catalog.issues)
        entry = Entry(name, model, source, path)
        catalog.add(catalog.entries(NOTIFICATION_RULES_KIND), "notification rules of", entry)


def missing_layer(schedule: str, layer: str, layers: Sequence[str]) -> str | None:
    """Why an escalation target's ``layer`` is wrong, or None when the schedule has it."""
    if layer in layers:
        return None
    return f"schedule {schedule!r} has no layer {layer!r}; its layers are {', '.join(layers)}"


def missing_team_role(team: str, role: str, roles: Sequence[str]) -> str | None:
    """Why an escalation target's team ``role`` is wrong, or None when the team has it."""
    if role in roles:
        return None
    message = f"team {team!r} has no role {role!r}"
    return f"{message}; its roles are {', '.join(roles)}" if roles else message


def _target_path(entry: Entry[EscalationPolicyConfig], step: int, target: int) -> FieldPath:
    """Where a target is written, relative to the policy (derived policies map it back)."""
    if entry.target_paths:
        return entry.target_paths[(step, target)][len(entry.path) :]
    return ("steps", step, "targets", target)


def _check_target(
    catalog: Catalog,
    entry: Entry[EscalationPolicyConfig],
    target: TargetConfig,
    at: FieldPath,
    team_roles: set[str],
) -> None:
    def report(message: str, field: str, level: Level = Level.ERROR) -> None:
        catalog.issues.append(entry.issue(message, at=(*at, field), level=level))

    schedules, teams = catalog.entries(SCHEDULE_KIND), catalog.entries(TEAM_KIND)
    if target.schedule is not None:
        schedule = schedules.get(target.schedule)
        if schedule is None:
            report(unknown("schedule", target.schedule, schedules), "schedule")
        elif target.layer is not None and schedule.model is not None:
            problem = missing_layer(schedule.name, target.layer, schedule.model.layer_names())
            if problem is not None:
                report(problem, "layer")
    elif target.team is not None:
        team = teams.get(target.team)
        if team is None:
            report(unknown("team", target.team, teams), "team")
        elif target.role is not None and team.model:
            problem = missing_team_role(team.name, target.role, list(team.model.roles))
            if problem is not None:
                report(problem, "role")
    elif target.role is not None and target.role not in team_roles:
        message = (
            f"no team defines the role {target.role!r}; this step pages nobody "
            "until the team owning the alerting service does"
        )
        report(message, "role", Level.WARNING)


def check_policies(catalog: Catalog) -> None:
    teams = catalog.entries(TEAM_KIND).values()
    team_roles = {role for team in teams if team.model for role in team.model.roles}
    for entry in catalog.entries(ESCALATION_POLICY_KIND).values():
        if entry.model is None:
            continue
        for step_index, step in enumerate(entry.model.steps):
            for target_index, target in enumerate(step.targets):
                at = _target_path(entry, step_index, target_index)
                _check_target(catalog, entry, target, at, team_roles)


def _check_policy(catalog: Catalog, entry: Entry[Any], policy: str | None) -> None:
    """An error at the object's ``escalation_policy`` when it names no defined policy."""
    policies = catalog.entries(ESCALATION_POLICY_KIND)
    if policy is not None and policy not in policies:
        message = unknown("escalation policy", policy, policies)
        catalog.issues.append(entry.issue(message, at=("escalation_policy",)))


def check_teams(catalog: Catalog) -> None:
    for entry in catalog.entries(TEAM_KIND).values():
        _check_policy(catalog, entry, entry.model.escalation_policy if entry.model else None)


def check_services(catalog: Catalog) -> None:
    for entry in catalog.entries(SERVICE_KIND).values():
        if entry.model is not None:
            _check_policy(catalog, entry, entry.model.escalation_policy)


def check_routing_rules(catalog: Catalog) -> None:
    """The escalation policy a routing rule chooses must be defined."""
    policies = catalog.entries(ESCALATION_POLICY_KIND)
    for entry in catalog.entries(ROUTING_RULE_KIND).values():
        policy = entry.model.escalation_policy if entry.model is not None else None
        if policy is not None and policy not in policies:
            message = f"unknown escalation policy {policy!r}"
            catalog.issues.append(entry.issue(message, at=("escalation_policy",)))


def policy_people(catalog: Catalog) -> Iterator[tuple[str, Entry[Any], FieldPath]]:
    """People escalation steps page by name."""
    for policy in catalog.entries(ESCALATION_POLICY_KIND).values():
        for step_index, step in enumerate(policy.model.steps if policy.model else []):
            for target_index, target in enumerate(step.targets):
                if target.user is not None:
                    at = (*_target_path(policy, step_index, target_index), "user")
                    yield target.user, policy, at


PAGING_KINDS = KindSet(
    readers={
        "escalation_policies": read_policies,
        "paging": read_paging,
        "notification_rules": read_notification_rules,
    },
    checks=(check_teams, check_policies, check_services, check_routing_rules, check_service_paging),
    people=(policy_people,),
)
