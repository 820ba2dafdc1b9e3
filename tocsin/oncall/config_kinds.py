"""Reading schedules from configuration: the policy a schedule's ``escalation`` implies,
its people, fairness.

The schedule model itself (both the seed's week-by-week form and the native
form) is :class:`tocsin.oncall.config_schema.ScheduleConfig`.

A schedule's embedded ``escalation: {timeout_minutes, chain}`` becomes an
escalation policy named after the schedule: step 1 pages the schedule's
primary layer; each chain entry is a further step after ``timeout_minutes``.
A chain ``role`` that names one of the schedule's layers (``secondary``) pages
that layer; any other role (``team_lead``, ``engineering_manager``) pages that
role in the team owning the alerting service.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from tocsin.config.catalog import Catalog, Entry
from tocsin.config.errors import FieldPath
from tocsin.config.kinds import KindSet, named_items
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.domain.fairness import check_fairness
from tocsin.oncall.config_schema import (
    SCHEDULE_KIND,
    ChainStepConfig,
    EscalationConfig,
    ScheduleConfig,
)
from tocsin.paging.config_schema import (
    ESCALATION_POLICY_KIND,
    EscalationPolicyConfig,
    StepConfig,
    TargetConfig,
)


def _chain_target(schedule: str, layers: list[str], link: ChainStepConfig) -> TargetConfig:
    if link.role is not None:
        if link.role in layers:
            return TargetConfig(schedule=schedule, layer=link.role)
        return TargetConfig(role=link.role)
    if link.user is not None:
        return TargetConfig(user=link.user)
    return TargetConfig(schedule=link.schedule, layer=link.layer)


def _derived_policy(
    entry: Entry[ScheduleConfig], model: ScheduleConfig, escalation: EscalationConfig
) -> Entry[EscalationPolicyConfig]:
    """The escalation policy a valid schedule's ``escalation`` section describes."""
    layers = model.layer_names()
    first = "primary" if "primary" in layers else layers[0]
    timeout = escalation.timeout_minutes
    at: FieldPath = (*entry.path, "escalation")
    steps = [
        StepConfig(
            targets=[TargetConfig(schedule=entry.name, layer=first)], timeout_minutes=timeout
        )
    ]
    paths: dict[tuple[int, int], FieldPath] = {(0, 0): at}
    for index, link in enumerate(escalation.chain):
        target = _chain_target(entry.name, layers, link)
        steps.append(StepConfig(targets=[target], timeout_minutes=timeout))
        paths[(index + 1, 0)] = (*at, "chain", index)
    policy = EscalationPolicyConfig(
        description=f"Escalation of schedule {entry.name!r}, defined with the schedule.",
        steps=steps,
    )
    return Entry(entry.name, policy, entry.source, at, target_paths=paths)


def add_schedule(
    catalog: Catalog, source: SourceFile, name: str, data: Any, path: FieldPath
) -> None:
    """Validate and register one schedule, and the escalation policy it embeds."""
    model = validate_into(ScheduleConfig, data, source, path, catalog.issues)
    entry = Entry(name, model, source, path)
    catalog.add(catalog.entries(SCHEDULE_KIND), "schedule", entry)
    if model is not None and model.escalation is not None:
        derived = _derived_policy(entry, model, model.escalation)
        catalog.add(catalog.entries(ESCALATION_POLICY_KIND), "escalation policy", derived)


def read_schedule(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """The file's one schedule, named after the file (on-call-schedule.yaml: on-call-schedule)."""
    add_schedule(catalog, source, source.stem, to_plain(node), (key,))


def read_schedules(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "schedules"):
        add_schedule(catalog, source, name, data, path)


def _scalar_paths(node: Any, path: FieldPath) -> Iterator[tuple[Any, FieldPath]]:
    """Every scalar under ``node`` with its path, in document order."""
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            yield from _scalar_paths(value, (*path, key))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            yield from _scalar_paths(value, (*path, index))
    else:
        yield node, path


def _node_at(source: SourceFile, path: FieldPath) -> Any:
    node = source.document
    for part in path:
        node = node[part]
    return node


def schedule_people(catalog: Catalog) -> Iterator[tuple[str, Entry[Any], FieldPath]]:
    """The people each schedule names, each with the first field (relative) that names them."""
    for entry in catalog.entries(SCHEDULE_KIND).values():
        if entry.model is None:
            continue
        scalars = list(_scalar_paths(_node_at(entry.source, entry.path), ()))
        for person in sorted(entry.model.people()):
            at = next((path for value, path in scalars if value == person), ())
            yield person, entry, at


def check_fairness_of_schedules(catalog: Catalog) -> None:
    """Fairness policies over the 26 weeks after ``catalog.now``, as errors on the policy line.

    A rule broken every rotation cycle would fill the screen, so each
    (policy, person, layer) is reported once, at its first occurrence.
    """
    for entry in catalog.entries(SCHEDULE_KIND).values():
        model = entry.model
        if model is None or model.policies is None:
            continue
        try:
            schedule = model.to_schedule(entry.name)
        except ValueError as error:
            catalog.issues.append(entry.issue(str(error)))
            continue
        violations = check_fairness(schedule, model.policies.to_policies(), catalog.now)
        counts = Counter((v.policy, v.person, v.layer) for v in violations)
        for violation in violations:
            count = counts.pop((violation.policy, violation.person, violation.layer), 0)
            if not count:
                continue
            message = violation.message
            if count > 1:
                message += f" (and {count - 1} more time{'s' if count > 2 else ''})"
            catalog.issues.append(entry.issue(message, at=("policies", violation.policy)))


ONCALL_KINDS = KindSet(
    readers={"schedule": read_schedule, "schedules": read_schedules},
    checks=(check_fairness_of_schedules,),
    people=(schedule_people,),
)
