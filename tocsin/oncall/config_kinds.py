"""Reading schedules from configuration: their people, fairness.

The schedule model itself (both the seed's week-by-week form and the native
form) is :class:`tocsin.oncall.config_schema.ScheduleConfig`. The escalation
policy a schedule's embedded ``escalation`` section implies is paging's:
:func:`tocsin.paging.config_kinds.derive_schedule_policies`.
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
from tocsin.oncall.config_schema import SCHEDULE_KIND, ScheduleConfig


def add_schedule(
    catalog: Catalog, source: SourceFile, name: str, data: Any, path: FieldPath
) -> None:
    """Validate and register one schedule (paging derives the policy it embeds)."""
    model = validate_into(ScheduleConfig, data, source, path, catalog.issues)
    catalog.add(catalog.entries(SCHEDULE_KIND), "schedule", Entry(name, model, source, path))


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
