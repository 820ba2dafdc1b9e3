"""The incident timeline: entry kinds, append-only rules, and rendering.

The timeline is append-only. A mistake is fixed by a ``correction`` entry that
references the entry it corrects by sequence number; the original stays as it
was. Every entry has two times: ``recorded_at``, when Tocsin stored it, and
``occurred_at``, when it happened. A scribe may back-date a note
(``occurred_at`` earlier than ``recorded_at``) but never date one in the future
of its recording.

Entries are numbered 1, 2, 3... per incident in the order they are appended,
and listed by (recorded_at, sequence); the alternative display order is by
occurred_at, which puts back-dated notes where they happened. Corrections are
always shown nested under the entry they correct, in the order they were
recorded, whichever display order is chosen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class EntryKind(StrEnum):
    DECLARED = "declared"
    STATUS_CHANGE = "status_change"
    SEVERITY_CHANGE = "severity_change"
    ROLE_CHANGE = "role_change"
    FIELD_CHANGE = "field_change"
    STATUS_UPDATE = "status_update"
    ALERT_LINKED = "alert_linked"
    NOTE = "note"
    CHECKLIST = "checklist"
    CORRECTION = "correction"


class NoteKind(StrEnum):
    """What a scribe note records (the scribe "captures decisions and their rationale")."""

    OBSERVATION = "observation"
    DECISION = "decision"
    ACTION = "action"


class Order(StrEnum):
    RECORDED = "recorded"
    OCCURRED = "occurred"


class TimelineError(ValueError):
    """An entry breaks a timeline rule; ``field`` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class EntryDraft:
    """An entry about to be appended; ``occurred_at`` None means "when recorded"."""

    kind: EntryKind
    text: str
    author: str | None = None
    occurred_at: datetime | None = None
    note_kind: NoteKind | None = None
    corrects: int | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelineEntry:
    sequence: int
    kind: EntryKind
    text: str
    recorded_at: datetime
    occurred_at: datetime
    author: str | None = None
    note_kind: NoteKind | None = None
    corrects: int | None = None
    details: Mapping[str, str] = field(default_factory=dict)


def append(
    entries: Sequence[TimelineEntry], draft: EntryDraft, recorded_at: datetime
) -> TimelineEntry:
    """Validate ``draft`` against the timeline so far and number it.

    The caller stores the returned entry; nothing in ``entries`` changes.
    """
    if recorded_at.utcoffset() is None:
        raise TimelineError("recorded_at", "expected a timezone-aware time")
    occurred_at = draft.occurred_at or recorded_at
    if occurred_at.utcoffset() is None:
        raise TimelineError("occurred_at", "expected a timezone-aware time")
    if occurred_at > recorded_at:
        raise TimelineError("occurred_at", "cannot be later than the time it is recorded")
    text = draft.text.strip()
    if not text:
        raise TimelineError("text", "required")
    if draft.kind is EntryKind.NOTE and draft.note_kind is None:
        kinds = ", ".join(k.value for k in NoteKind)
        raise TimelineError("note_kind", f"required for a note; expected one of: {kinds}")
    if draft.note_kind is not None and draft.kind not in (EntryKind.NOTE, EntryKind.CORRECTION):
        raise TimelineError("note_kind", "only notes and their corrections have a note kind")
    if draft.kind is EntryKind.CORRECTION:
        if draft.corrects is None:
            raise TimelineError("corrects", "a correction must name the entry it corrects")
        if all(entry.sequence != draft.corrects for entry in entries):
            raise TimelineError("corrects", f"no entry #{draft.corrects} in this timeline")
    elif draft.corrects is not None:
        raise TimelineError("corrects", "only a correction may reference another entry")
    return TimelineEntry(
        sequence=max((entry.sequence for entry in entries), default=0) + 1,
        kind=draft.kind,
        text=text,
        recorded_at=recorded_at,
        occurred_at=occurred_at,
        author=draft.author,
        note_kind=draft.note_kind,
        corrects=draft.corrects,
        details=dict(draft.details),
    )


def ordered(entries: Sequence[TimelineEntry], order: Order = Order.RECORDED) -> list[TimelineEntry]:
    """Entries by (recorded_at, sequence), or by occurred_at with that as tie-break."""
    if order is Order.OCCURRED:
        return sorted(entries, key=lambda e: (e.occurred_at, e.recorded_at, e.sequence))
    return sorted(entries, key=lambda e: (e.recorded_at, e.sequence))


@dataclass(frozen=True)
class IncidentSummary:
    """The header of a rendered timeline; ``roles`` maps a role title to its holder."""

    reference: str
    title: str
    severity: str
    status: str
    detected_at: datetime | None = None
    resolved_at: datetime | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    summary: str | None = None


@dataclass(frozen=True)
class _Node:
    entry: TimelineEntry
    corrections: tuple[_Node, ...]


def _tree(entries: Sequence[TimelineEntry], order: Order) -> list[_Node]:
    """Top-level entries in display order, each with its corrections nested.

    A correction whose target is not among ``entries`` is shown at top level.
    """
    present = {entry.sequence for entry in entries}
    children: dict[int, list[TimelineEntry]] = {}
    top: list[TimelineEntry] = []
    for entry in ordered(entries, Order.RECORDED):
        if entry.corrects is not None and entry.corrects in present:
            children.setdefault(entry.corrects, []).append(entry)
        else:
            top.append(entry)

    def node(entry: TimelineEntry) -> _Node:
        return _Node(entry, tuple(node(child) for child in children.get(entry.sequence, [])))

    return [node(entry) for entry in ordered(top, order)]


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _label(entry: TimelineEntry) -> str:
    if entry.note_kind is not None:
        return entry.note_kind.value
    return entry.kind.value.replace("_", " ")


def _markdown_lines(node: _Node, depth: int) -> list[str]:
    entry = node.entry
    indent = "  " * depth
    author = f" · {entry.author}" if entry.author else ""
    if entry.kind is EntryKind.CORRECTION and depth > 0:
        head = f"#{entry.sequence} **Correction** ({_utc_text(entry.occurred_at)}{author})"
    else:
        head = f"#{entry.sequence} **{_utc_text(entry.occurred_at)}** · {_label(entry)}{author}"
        if entry.kind is EntryKind.CORRECTION:
            head += f" (corrects #{entry.corrects}, not shown)"
    if entry.occurred_at != entry.recorded_at:
        head += f" _(back-dated; recorded {_utc_text(entry.recorded_at)})_"
    body = entry.text.replace("\n", "\n" + indent + "  ")
    lines = [f"{indent}- {head}: {body}"]
    for child in node.corrections:
        lines.extend(_markdown_lines(child, depth + 1))
    return lines


def to_markdown(
    summary: IncidentSummary, entries: Sequence[TimelineEntry], order: Order = Order.RECORDED
) -> str:
    """The incident header and its timeline as Markdown, corrections nested."""
    lines = [f"# {summary.reference}: {summary.title}", ""]
    lines.append(f"- Severity: {summary.severity}")
    lines.append(f"- Status: {summary.status}")
    if summary.detected_at is not None:
        lines.append(f"- Detected: {_utc_text(summary.detected_at)}")
    if summary.resolved_at is not None:
        lines.append(f"- Resolved: {_utc_text(summary.resolved_at)}")
    lines.extend(f"- {role}: {holder}" for role, holder in summary.roles.items())
    if summary.summary:
        lines.extend(["", summary.summary.strip()])
    heading = "## Timeline" if order is Order.RECORDED else "## Timeline (by time of occurrence)"
    lines.extend(["", heading, ""])
    nodes = _tree(entries, order)
    if not nodes:
        lines.append("_No entries yet._")
    for node in nodes:
        lines.extend(_markdown_lines(node, 0))
    return "\n".join(lines) + "\n"


def _entry_data(node: _Node) -> dict[str, object]:
    entry = node.entry
    return {
        "sequence": entry.sequence,
        "kind": entry.kind.value,
        "note_kind": entry.note_kind.value if entry.note_kind else None,
        "occurred_at": _utc_iso(entry.occurred_at),
        "recorded_at": _utc_iso(entry.recorded_at),
        "author": entry.author,
        "text": entry.text,
        "corrects": entry.corrects,
        "details": dict(entry.details),
        "corrections": [_entry_data(child) for child in node.corrections],
    }


def to_data(
    summary: IncidentSummary, entries: Sequence[TimelineEntry], order: Order = Order.RECORDED
) -> dict[str, object]:
    """The JSON document as plain data: times in UTC ISO 8601, corrections nested."""
    return {
        "incident": {
            "reference": summary.reference,
            "title": summary.title,
            "severity": summary.severity,
            "status": summary.status,
            "detected_at": _utc_iso(summary.detected_at) if summary.detected_at else None,
            "resolved_at": _utc_iso(summary.resolved_at) if summary.resolved_at else None,
            "roles": dict(summary.roles),
            "summary": summary.summary,
        },
        "order": order.value,
        "entries": [_entry_data(node) for node in _tree(entries, order)],
    }


def to_json(
    summary: IncidentSummary, entries: Sequence[TimelineEntry], order: Order = Order.RECORDED
) -> str:
    return json.dumps(to_data(summary, entries, order), indent=2, ensure_ascii=False)
