"""What an alert shows when its source triggers it again: what is known is kept.

A later trigger of an open alert (the same dedup key) updates what it
carries and erases nothing it leaves out: a PagerDuty re-trigger without
``custom_details`` or ``links`` keeps the first trigger's (and the runbook in
them), an Opsgenie re-create without ``description`` keeps it. Each trigger's
own payload is recorded in the alert's history, so nothing a sender said is
lost either way.

The rules, field by field:

- ``summary``: the latest (every trigger has one);
- ``labels`` and ``annotations``: the stored ones, updated with the later ones;
- ``details``: merged key by key, into nested objects too; a value that is
  absent, ``null``, ``""``, ``[]`` or ``{}`` does not replace a stored one;
- ``links``: the stored ones, then the later ones whose ``href`` is new (a
  link with a known ``href`` takes the later text);
- ``runbook_url``: the latest given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tocsin.domain.alert_lifecycle import Signal

#: The fields of :class:`Body`, named as the alert's columns.
_FIELDS = ("summary", "labels", "annotations", "details", "links", "runbook_url")


@dataclass(frozen=True)
class Body:
    """The parts of an alert that its source's triggers describe."""

    summary: str
    labels: Mapping[str, Any]
    annotations: Mapping[str, Any]
    details: Mapping[str, Any]
    links: Sequence[Mapping[str, Any]]
    runbook_url: str | None

    def payload(self) -> dict[str, Any]:
        """The body as plain JSON, as one occurrence's record in the history."""
        return {
            "summary": self.summary,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "details": dict(self.details),
            "links": [dict(link) for link in self.links],
            "runbook_url": self.runbook_url,
        }

    def values(self, names: Iterable[str]) -> dict[str, Any]:
        """The fields ``names`` as plain JSON, by name (the columns to write)."""
        return {name: _plain(getattr(self, name)) for name in names}

    def changes(self, before: Body) -> dict[str, Any]:
        """The fields that differ from ``before``, by name, as plain JSON (the columns to write)."""
        found: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value != getattr(before, name):
                found[name] = _plain(value)
        return found


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) or value is None:
        return value
    return [dict(link) for link in value]


def _said(value: Any) -> bool:
    """False for values that say nothing (absent, null, empty): they never replace known ones."""
    if value is None:
        return False
    return bool(value) if isinstance(value, str | list | dict) else True


def _details(stored: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for key, value in later.items():
        if not _said(value):
            continue
        known = merged.get(key)
        if isinstance(known, Mapping) and isinstance(value, Mapping):
            merged[key] = _details(known, value)
        else:
            merged[key] = value
    return merged


def _links(
    stored: Sequence[Mapping[str, Any]], later: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    merged = [dict(link) for link in stored]
    where = {link.get("href"): index for index, link in enumerate(merged)}
    for link in later:
        index = where.get(link.get("href"))
        if index is None:
            where[link.get("href")] = len(merged)
            merged.append(dict(link))
        else:
            merged[index] = dict(link)
    return merged


def merged(stored: Body, later: Body) -> Body:
    """The alert's body after a later trigger: ``later``'s news on top of ``stored``."""
    return Body(
        summary=later.summary or stored.summary,
        labels={**stored.labels, **later.labels},
        annotations={
            **stored.annotations,
            **{name: value for name, value in later.annotations.items() if _said(value)},
        },
        details=_details(stored.details, later.details),
        links=_links(stored.links, later.links),
        runbook_url=later.runbook_url or stored.runbook_url,
    )


def sent(summary: str, signal: Signal) -> Body:
    """The body a trigger carries (``summary`` as the alert will show it)."""
    return Body(
        summary, signal.labels, signal.annotations, signal.details, signal.links, signal.runbook_url
    )
