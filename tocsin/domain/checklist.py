"""The incident response checklist: template, per-incident items, ticking.

The default template is the seed's "Incident Response Template" (Detection,
Triage, Assign Roles, Investigate, Mitigate, Communicate, Resolve). Two changes
from the seed's text: the triage question drops "(SEV-1 through SEV-4)",
because the levels are configurable, and the "Incident Commander: ___" blanks
become "Assign ..." tasks.

Configuration replaces the template wholesale (see :func:`template_from_config`).
Each incident gets its own copy of the items when it is declared
(:func:`instantiate`), so editing the template later does not change the
checklists of running incidents. Items have stable keys of the form
``section-key.item-key``, e.g. ``investigate.review-recent-deployments``, which
the API and the timeline use to name them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens, e.g. "review-recent-deployments"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class ChecklistError(ValueError):
    """A checklist template from configuration is invalid; ``path`` locates the problem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class UnknownItem(KeyError):
    def __init__(self, key: str, known: Sequence[str]) -> None:
        super().__init__(key)
        self.key = key
        self.known = tuple(known)

    def __str__(self) -> str:
        return f"no checklist item {self.key!r}"


@dataclass(frozen=True)
class TemplateItem:
    key: str
    text: str


@dataclass(frozen=True)
class TemplateSection:
    key: str
    title: str
    items: tuple[TemplateItem, ...]


@dataclass(frozen=True)
class ChecklistTemplate:
    sections: tuple[TemplateSection, ...]

    def __post_init__(self) -> None:
        section_keys: set[str] = set()
        for index, section in enumerate(self.sections):
            where = f"sections[{index}]"
            if not section.key:
                raise ChecklistError(where, "a section needs a key or a title with letters")
            if section.key in section_keys:
                raise ChecklistError(where, f"duplicate section key {section.key!r}")
            section_keys.add(section.key)
            item_keys: set[str] = set()
            for position, item in enumerate(section.items):
                item_where = f"{where}.items[{position}]"
                if not item.key:
                    raise ChecklistError(item_where, "an item needs a key or text with letters")
                if item.key in item_keys:
                    raise ChecklistError(
                        item_where, f"duplicate item key {item.key!r} in {section.key!r}"
                    )
                item_keys.add(item.key)


def _section(title: str, *texts: str, keys: Sequence[str] = ()) -> TemplateSection:
    items = tuple(
        TemplateItem(key=keys[i] if keys else slugify(text), text=text)
        for i, text in enumerate(texts)
    )
    return TemplateSection(key=slugify(title), title=title, items=items)


DEFAULT_TEMPLATE = ChecklistTemplate(
    sections=(
        _section(
            "Detection",
            "How was the incident detected?",
            "What alerts fired?",
            "When was the first signal?",
        ),
        _section(
            "Triage",
            "What is the severity?",
            "What services are affected?",
            "How many users are impacted?",
        ),
        _section(
            "Assign Roles",
            "Assign an Incident Commander",
            "Assign a Communications Lead",
            "Assign an Operations Lead",
            "Assign a Scribe",
            keys=("incident-commander", "communications-lead", "operations-lead", "scribe"),
        ),
        _section(
            "Investigate",
            "Check monitoring dashboards",
            "Review recent deployments",
            "Examine logs and traces",
            "Check infrastructure health",
        ),
        _section(
            "Mitigate",
            "Can we rollback a recent change?",
            "Can we failover to a healthy region?",
            "Can we scale up resources?",
            "Can we disable a feature flag?",
        ),
        _section(
            "Communicate",
            "Update the status page",
            "Notify stakeholders",
            "Post in the incident channel",
        ),
        _section(
            "Resolve",
            "Confirm the mitigation is effective",
            "Verify metrics have recovered",
            "Declare the incident resolved",
        ),
    )
)


def template_from_config(data: object) -> ChecklistTemplate:
    """Build a template from configuration; it replaces the default entirely.

    Two shapes are accepted. A mapping of section title to items::

        Detection: ["What alerts fired?", "When was the first signal?"]

    or a list of sections, each with a title, an optional key, and items::

        - title: Detection
          key: detect
          items:
            - "What alerts fired?"
            - {key: first-signal, text: "When was the first signal?"}

    Items are text (key derived from it) or ``{text, key}`` mappings.
    """
    if isinstance(data, Mapping):
        sections = [
            _parse_section(f"sections[{i}]", {"title": title, "items": items})
            for i, (title, items) in enumerate(data.items())
        ]
    elif isinstance(data, list):
        sections = [_parse_section(f"sections[{i}]", raw) for i, raw in enumerate(data)]
    else:
        raise ChecklistError("checklist", "expected a list of sections or a mapping of them")
    if not sections:
        raise ChecklistError("checklist", "at least one section is required")
    return ChecklistTemplate(sections=tuple(sections))


def _text(path: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChecklistError(path, "expected non-empty text")
    return value.strip()


def _parse_section(path: str, raw: object) -> TemplateSection:
    if not isinstance(raw, Mapping):
        raise ChecklistError(path, "expected a mapping with title and items")
    unknown = set(raw) - {"title", "key", "items"}
    if unknown:
        raise ChecklistError(path, f"unknown field {sorted(map(str, unknown))[0]!r}")
    title = _text(f"{path}.title", raw.get("title"))
    key = slugify(_text(f"{path}.key", raw["key"])) if "key" in raw else slugify(title)
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise ChecklistError(f"{path}.items", "expected a non-empty list of items")
    items = tuple(_parse_item(f"{path}.items[{i}]", item) for i, item in enumerate(items_raw))
    return TemplateSection(key=key, title=title, items=items)


def _parse_item(path: str, raw: object) -> TemplateItem:
    if isinstance(raw, str):
        text = _text(path, raw)
        return TemplateItem(key=slugify(text), text=text)
    if not isinstance(raw, Mapping):
        raise ChecklistError(path, "expected text or a mapping with text and key")
    unknown = set(raw) - {"text", "key"}
    if unknown:
        raise ChecklistError(path, f"unknown field {sorted(map(str, unknown))[0]!r}")
    text = _text(f"{path}.text", raw.get("text"))
    key = slugify(_text(f"{path}.key", raw["key"])) if "key" in raw else slugify(text)
    return TemplateItem(key=key, text=text)


@dataclass(frozen=True)
class ChecklistItem:
    """One item of one incident's checklist."""

    key: str
    section: str
    text: str
    done_by: str | None = None
    done_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None


def instantiate(template: ChecklistTemplate | None = None) -> tuple[ChecklistItem, ...]:
    """The items a new incident starts with, in template order, none done."""
    chosen = template or DEFAULT_TEMPLATE
    return tuple(
        ChecklistItem(key=f"{section.key}.{item.key}", section=section.title, text=item.text)
        for section in chosen.sections
        for item in section.items
    )


@dataclass(frozen=True)
class ChecklistChange:
    """The checklist after a tick or untick; ``changed`` is False for a repeat.

    A repeated tick keeps who ticked first and when; the caller records a
    timeline entry only when ``changed`` is True.
    """

    items: tuple[ChecklistItem, ...]
    item: ChecklistItem
    changed: bool


def _find(items: Sequence[ChecklistItem], key: str) -> int:
    for index, item in enumerate(items):
        if item.key == key:
            return index
    raise UnknownItem(key, [item.key for item in items])


def tick(items: Sequence[ChecklistItem], key: str, by: str, at: datetime) -> ChecklistChange:
    """Mark ``key`` done by ``by`` at ``at``."""
    if not by.strip():
        raise ValueError("by: who ticked the item is required")
    if at.utcoffset() is None:
        raise ValueError("at: expected a timezone-aware time")
    index = _find(items, key)
    current = items[index]
    if current.done:
        return ChecklistChange(items=tuple(items), item=current, changed=False)
    updated = replace(current, done_by=by, done_at=at)
    return ChecklistChange(items=_with(items, index, updated), item=updated, changed=True)


def untick(items: Sequence[ChecklistItem], key: str) -> ChecklistChange:
    """Mark ``key`` not done; who unticked it belongs in the timeline, not the item."""
    index = _find(items, key)
    current = items[index]
    if not current.done:
        return ChecklistChange(items=tuple(items), item=current, changed=False)
    updated = replace(current, done_by=None, done_at=None)
    return ChecklistChange(items=_with(items, index, updated), item=updated, changed=True)


def _with(
    items: Sequence[ChecklistItem], index: int, item: ChecklistItem
) -> tuple[ChecklistItem, ...]:
    return (*items[:index], item, *items[index + 1 :])


def progress(items: Sequence[ChecklistItem]) -> tuple[int, int]:
    """(done, total)."""
    return sum(1 for item in items if item.done), len(items)
