"""Cross-references between objects, and the people they name.

References must resolve within the configuration directory (people aside:
see :func:`people`), so reviewing a change to the files is enough to know it
is complete.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from typing import Any

from tocsin.config.catalog import Catalog, Entry
from tocsin.config.desired import DesiredUser, Origin
from tocsin.config.errors import FieldPath, Issue, Level
from tocsin.config.schedules import schedule_people
from tocsin.config.schema import EscalationPolicyConfig, TargetConfig

_LISTED_AT_MOST = 10


def unknown(what: str, name: str, known: Collection[str]) -> str:
    """ "unknown team 'x'", with the closest defined name or the list of defined ones."""
    message = f"unknown {what} {name!r}"
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"{message} (did you mean {close[0]!r}?)"
    if not known:
        return f"{message}; none is defined"
    if len(known) <= _LISTED_AT_MOST:
        return f"{message}; defined: {', '.join(sorted(known))}"
    return message


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

    if target.schedule is not None:
        schedule = catalog.schedules.get(target.schedule)
        if schedule is None:
            report(unknown("schedule", target.schedule, catalog.schedules), "schedule")
        elif target.layer is not None and schedule.model is not None:
            problem = missing_layer(schedule.name, target.layer, schedule.model.layer_names())
            if problem is not None:
                report(problem, "layer")
    elif target.team is not None:
        team = catalog.teams.get(target.team)
        if team is None:
            report(unknown("team", target.team, catalog.teams), "team")
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
    team_roles = {
        role for team in catalog.teams.values() if team.model for role in team.model.roles
    }
    for entry in catalog.policies.values():
        if entry.model is None:
            continue
        for step_index, step in enumerate(entry.model.steps):
            for target_index, target in enumerate(step.targets):
                at = _target_path(entry, step_index, target_index)
                _check_target(catalog, entry, target, at, team_roles)


def check_teams(catalog: Catalog) -> None:
    for entry in catalog.teams.values():
        policy = entry.model.escalation_policy if entry.model else None
        if policy is not None and policy not in catalog.policies:
            message = unknown("escalation policy", policy, catalog.policies)
            catalog.issues.append(entry.issue(message, at=("escalation_policy",)))


def check_services(catalog: Catalog) -> None:
    for entry in catalog.services.values():
        service = entry.model
        if service is None:
            continue
        team = catalog.teams.get(service.team) if service.team is not None else None
        if service.team is not None and team is None:
            message = unknown("team", service.team, catalog.teams)
            catalog.issues.append(entry.issue(message, at=("team",)))
        policy = service.escalation_policy
        if policy is not None and policy not in catalog.policies:
            message = unknown("escalation policy", policy, catalog.policies)
            catalog.issues.append(entry.issue(message, at=("escalation_policy",)))
        for index, component in enumerate(service.components):
            if component not in catalog.components:
                message = unknown("status page component", component, catalog.components)
                catalog.issues.append(entry.issue(message, at=("components", index)))


def _named_people(catalog: Catalog) -> list[tuple[str, Entry[Any], FieldPath]]:
    """Every (person, object, field) where a person is named, in no particular order."""
    named: list[tuple[str, Entry[Any], FieldPath]] = []
    for team in catalog.teams.values():
        if team.model is not None:
            named += [(m, team, ("members", i)) for i, m in enumerate(team.model.members)]
            named += [(person, team, ("roles", r)) for r, person in team.model.roles.items()]
    for policy in catalog.policies.values():
        for step_index, step in enumerate(policy.model.steps if policy.model else []):
            for target_index, target in enumerate(step.targets):
                if target.user is not None:
                    at = (*_target_path(policy, step_index, target_index), "user")
                    named.append((target.user, policy, at))
    for schedule in catalog.schedules.values():
        if schedule.model is not None:
            named += [(p, schedule, at) for p, at in schedule_people(schedule)]
    for template in catalog.postmortems.values():
        if template.model is not None:
            model = template.model
            named += [(a, template, ("authors", i)) for i, a in enumerate(model.authors)]
            named += [
                (item.owner, template, ("action_items", i, "owner"))
                for i, item in enumerate(model.action_items)
                if item.owner is not None
            ]
    return named


def people(catalog: Catalog) -> list[DesiredUser]:
    """Users for people who are named somewhere but defined under no ``users:`` key.

    Each gets a warning at the first place that names them, and a user without
    contact methods (owned by that file) so schedules and policies resolve.
    """
    first: dict[str, Issue] = {}
    for person, entry, at in _named_people(catalog):
        if person in catalog.users:
            continue
        message = (
            f"{person!r} is not defined under users in any file; "
            "they get a user without contact methods and cannot be paged"
        )
        issue = entry.issue(message, at=at, level=Level.WARNING)
        previous = first.get(person)
        if previous is None or (issue.file, issue.line) < (previous.file, previous.line):
            first[person] = issue
    catalog.issues.extend(first.values())
    return [
        DesiredUser(name=person, origin=Origin(issue.file, issue.line), implicit=True)
        for person, issue in sorted(first.items())
    ]


def check_references(catalog: Catalog) -> None:
    check_teams(catalog)
    check_policies(catalog)
    check_services(catalog)
