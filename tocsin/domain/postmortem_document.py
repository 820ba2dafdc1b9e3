"""A postmortem's document: its sections, their kinds, and what changed between two versions.

The document is plain data (what the API and the database carry): a mapping
of fields. Its **sections** are what a person writes; each has a kind:

==============  ===============================================================
kind            holds
==============  ===============================================================
text            free text (``summary``; a template's own section: ``trigger``)
list            points, one per line (``contributing_factors``, ``what_went_well``)
impact          ``impact``: users_affected, revenue_impact, error_budget_consumed and
                a description
timeline        ``timeline``: entries drawn from the incident's timeline or written
root_cause      ``root_cause`` (text) and ``five_whys`` (each why an entry whose answer
                may cite timeline entries)
action_items    the postmortem's action items (their own records, not document fields)
==============  ===============================================================

The standard sections are the seeds' (summary, impact, timeline, root cause
analysis with Five Whys, contributing factors, what went well, what went
poorly, action items, lessons learned) and Google's "where we got lucky". A
template may order and title them, drop some, and add its own text or list
sections, which the document keeps under ``extra``.

Beside the sections the document holds the seed template's header fields
(``title``, ``date``, ``duration``, ``authors``), what the incident was
(``severity``, ``services``, ``components``) and ``facts``: what Tocsin
recorded (alerts, pages, public updates, MTTD/MTTA/MTTR), drafted once and
shown as they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SECTION_KINDS = ("text", "list", "impact", "timeline", "root_cause", "action_items")
#: The fields of ``impact``: the seed's three and a description.
IMPACT_FIELDS = ("users_affected", "revenue_impact", "error_budget_consumed", "description")
#: Standard sections whose content is a list of points.
LIST_SECTIONS = (
    "contributing_factors",
    "what_went_well",
    "what_went_poorly",
    "where_we_got_lucky",
    "lessons_learned",
)
#: Document fields a person may edit (beside the sections' own).
HEADER_FIELDS = ("title", "date", "duration", "authors")
#: The sections a postmortem's public version shows unless its template says otherwise
#: (``public:`` on a template's section): what customers are owed, nothing of how the
#: team worked. Every other section, a template's own included, is internal.
PUBLIC_SECTIONS = frozenset({"summary", "impact", "timeline", "root_cause", "action_items"})
#: Impact fields the public version never shows.
INTERNAL_IMPACT_FIELDS = frozenset({"revenue_impact"})
_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")


@dataclass(frozen=True)
class Section:
    """One section of a document: its key, the title shown, its kind and a hint to the author."""

    key: str
    title: str
    kind: str
    hint: str = ""

    def as_data(self) -> dict[str, str]:
        return {"key": self.key, "title": self.title, "kind": self.kind, "hint": self.hint}


def _standard(*sections: Section) -> dict[str, Section]:
    return {section.key: section for section in sections}


#: The standard sections, in the order a document without a template shows them.
STANDARD_SECTIONS = _standard(
    Section("summary", "Summary", "text", "What happened, how it was fixed, in a few sentences."),
    Section("impact", "Impact", "impact", "Who was affected, how much, for how long."),
    Section("timeline", "Timeline", "timeline", "The key moments, in order."),
    Section(
        "root_cause",
        "Root cause analysis",
        "root_cause",
        "Ask why until you reach a condition of the system (Five Whys).",
    ),
    Section(
        "contributing_factors",
        "Contributing factors",
        "list",
        "Conditions that made it possible or worse.",
    ),
    Section("what_went_well", "What went well", "list"),
    Section("what_went_poorly", "What went poorly", "list"),
    Section("where_we_got_lucky", "Where we got lucky", "list"),
    Section("action_items", "Action items", "action_items", "Each with an owner and a due date."),
    Section("lessons_learned", "Lessons learned", "list"),
)


def section_key(value: object) -> str:
    """``value`` if it is a key: lower-case letters, digits and _, starting with a letter."""
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise ValueError("must be a key of lower-case letters, digits and _ (e.g. trigger)")
    return value


def sections_of(
    chosen: Sequence[tuple[str, str, str | None, str]], examples: Mapping[str, str] | None = None
) -> tuple[Section, ...]:
    """A template's sections from its (key, title, kind, hint) list; none: the standard ones.

    A standard key keeps its kind and, unless given, its title and hint; a
    key of the template's own is a text section unless it says ``list``.
    ``examples`` (a template's example content by key) become hints where
    none is given.
    """
    hints = dict(examples or {})
    if not chosen:
        return tuple(_with_hint(s, hints.get(s.key, "")) for s in STANDARD_SECTIONS.values())
    found = []
    for key, title, kind, hint in chosen:
        standard = STANDARD_SECTIONS.get(key)
        if standard is not None:
            section = Section(key, title or standard.title, standard.kind, hint or standard.hint)
        else:
            words = key.replace("_", " ").capitalize()
            section = Section(key, title or words, kind or "text", hint)
        found.append(_with_hint(section, hints.get(key, "")) if not hint else section)
    return tuple(found)


def _with_hint(section: Section, example: str) -> Section:
    if not example:
        return section
    return Section(section.key, section.title, section.kind, f"For example: {example}")


def own_sections(sections: Iterable[Section]) -> dict[str, Section]:
    """The sections a template added (kept under ``extra``), by key."""
    return {s.key: s for s in sections if s.key not in STANDARD_SECTIONS}


@dataclass(frozen=True)
class Change:
    """One field that differs between two versions (``impact.users_affected``: a nested one)."""

    field: str
    before: Any
    after: Any

    def as_data(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


#: Fields compared one level down, so a change names the part that changed.
_NESTED = ("impact", "extra")


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """What changed from ``before`` to ``after``, field by field, in a stable order."""
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in _NESTED and isinstance(old, Mapping | None) and isinstance(new, Mapping | None):
            old_part, new_part = old or {}, new or {}
            for part in sorted(set(old_part) | set(new_part)):
                if old_part.get(part) != new_part.get(part):
                    changes.append(Change(f"{name}.{part}", old_part.get(part), new_part.get(part)))
            continue
        changes.append(Change(name, old, new))
    return changes
