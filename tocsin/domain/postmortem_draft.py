"""Drafting a postmortem from what Tocsin knows about an incident: same facts, same draft.

:func:`draft` is pure: it reads an :class:`IncidentFacts` (the incident, its
timeline, alerts, pages and public updates, gathered by the caller) and a
template's sections, and returns the document (see
:mod:`tocsin.domain.postmortem_document`). Nothing in it reads a clock, so
the same facts always give the same draft.

**Key timeline entries.** The draft's timeline holds the entries a reader
needs (:func:`key_entries`): the declaration, every status change (the
mitigation among them), severity change, role hand-over and decision, the
first alert linked, the first page and the first acknowledgement, and any
correction of one of those. Every other entry stays on the incident's
timeline, from where the author may add it.

**Duration** runs from when the impact started (else when it was detected)
to when it was mitigated (else resolved): how long users were affected.
**MTTD, MTTA, MTTR** are this incident's, as :mod:`tocsin.domain.lifecycle`
defines them (MTTD is "n/a" without a recorded impact start).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tocsin.domain.lifecycle import (
    Milestones,
    Status,
    time_to_acknowledge,
    time_to_detect,
    time_to_resolve,
)
from tocsin.domain.postmortem_document import Section, own_sections
from tocsin.domain.timeline import EntryKind, NoteKind, TimelineEntry


@dataclass(frozen=True)
class AlertFact:
    summary: str
    service: str
    first_fired_at: datetime
    occurrences: int = 1
    runbook_url: str | None = None


@dataclass(frozen=True)
class PageFact:
    """One person paged: when, and when they acknowledged (None: they did not)."""

    user: str
    paged_at: datetime
    acknowledged_at: datetime | None
    state: str


@dataclass(frozen=True)
class UpdateFact:
    """One public update on the status page."""

    at: datetime
    status: str
    body: str


@dataclass(frozen=True)
class IncidentFacts:
    """Everything a draft is made from; ``roles`` are (role, person) in roster order."""

    reference: str
    title: str
    severity: str
    status: Status
    milestones: Milestones
    services: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    roles: tuple[tuple[str, str], ...] = ()
    users_affected: int | None = None
    revenue_impact: str | None = None
    error_budget_consumed: str | None = None
    summary: str = ""
    entries: Sequence[TimelineEntry] = ()
    alerts: Sequence[AlertFact] = ()
    pages: Sequence[PageFact] = ()
    updates: Sequence[UpdateFact] = ()


_ALWAYS = {
    EntryKind.DECLARED: "declaration",
    EntryKind.SEVERITY_CHANGE: "severity change",
    EntryKind.ROLE_CHANGE: "role hand-over",
    EntryKind.STATUS_CHANGE: "status change",
}


#: The paging events whose first is key, by their ``paging`` detail.
PAGING_FIRSTS = {"paged": "first page", "acknowledged": "first acknowledgement"}
_FIRSTS = ("first alert", *PAGING_FIRSTS.values())


def _firsts_of(entry: TimelineEntry) -> tuple[str, ...]:
    """Which firsts ``entry`` may be: the first alert, page or acknowledgement."""
    paging = PAGING_FIRSTS.get(entry.details.get("paging", ""))
    alert = entry.kind is EntryKind.ALERT_LINKED
    if paging is None:
        return ("first alert",) if alert else ()
    return ("first alert", paging) if alert else (paging,)


def why_key(entry: TimelineEntry) -> str | None:
    """Why ``entry`` is always key (None: it is not, though it may be a first)."""
    if entry.kind is EntryKind.STATUS_CHANGE and entry.details.get("to") == Status.MITIGATED:
        return "mitigation"
    if entry.kind in _ALWAYS:
        return _ALWAYS[entry.kind]
    if entry.kind is EntryKind.NOTE and entry.note_kind is NoteKind.DECISION:
        return "decision"
    return None


#: Entry kinds that may be key whatever they say.
KEY_KINDS = frozenset(
    {
        *_ALWAYS,
        EntryKind.ALERT_LINKED,
        EntryKind.CORRECTION,
    }
)


def may_be_key(entry: TimelineEntry) -> bool:
    """Whether ``entry`` could be a key entry; :func:`key_entries` needs no others.

    A draft made from only these entries is the draft made from all of them,
    so a caller with a long timeline may read just these (see
    :func:`tocsin.postmortems.facts.timeline`).
    """
    return (
        entry.kind in KEY_KINDS
        or entry.note_kind is NoteKind.DECISION
        or entry.details.get("paging", "") in PAGING_FIRSTS
    )


def key_entries(entries: Iterable[TimelineEntry]) -> list[tuple[TimelineEntry, str]]:
    """The key entries (see the module docstring) with why each is key, in sequence order."""
    chosen: list[tuple[TimelineEntry, str]] = []
    seen: set[int] = set()
    found: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.sequence):
        why = why_key(entry)
        if why is None and entry.kind is EntryKind.CORRECTION and entry.corrects in seen:
            why = "correction"
        if len(found) < len(_FIRSTS):
            for first in _firsts_of(entry):
                if first not in found:
                    found.add(first)
                    why = why or first
        if why is not None:
            chosen.append((entry, why))
            seen.add(entry.sequence)
    return chosen


def utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def clock_time(value: datetime, day: str) -> str:
    """ "14:02 UTC" as in the seed's timeline, with the date when it is not ``day``."""
    moment = value.astimezone(UTC)
    hours = f"{moment.hour:02d}:{moment.minute:02d} UTC"
    date = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    return hours if date == day else f"{date} {hours}"


def timeline_item(entry: TimelineEntry, day: str, why: str | None = None) -> dict[str, Any]:
    """An incident timeline entry as a document timeline item."""
    event = entry.text
    if entry.kind is EntryKind.CORRECTION:
        event = f"Correction of #{entry.corrects}: {event}"
    return {
        "sequence": entry.sequence,
        "at": utc(entry.occurred_at),
        "time": clock_time(entry.occurred_at, day),
        "event": event,
        "why": why,
    }


_WORD_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))


def in_words(span: timedelta) -> str:
    """A duration as the seed writes it: "47 minutes", "1 hour 5 minutes", "30 seconds"."""
    seconds = max(0, round(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    parts = []
    for unit, size in _WORD_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts[:2])


def impact_span(milestones: Milestones) -> timedelta | None:
    """From the impact's start (else detection) to mitigation (else resolution)."""
    end = milestones.mitigated_at or milestones.resolved_at
    if end is None:
        return None
    return end - (milestones.impact_started_at or milestones.detected_at)


def _metric(span: timedelta | None) -> dict[str, Any]:
    if span is None:
        return {"seconds": None, "text": "n/a"}
    return {"seconds": round(span.total_seconds()), "text": in_words(span)}


def metrics(facts: IncidentFacts) -> dict[str, dict[str, Any]]:
    """This incident's MTTD, MTTA and MTTR."""
    times = facts.milestones
    return {
        "mttd": _metric(time_to_detect(times)),
        "mtta": _metric(time_to_acknowledge(times)),
        "mttr": _metric(time_to_resolve(facts.status, times)),
    }


def _when(value: datetime | None) -> str | None:
    return utc(value) if value is not None else None


def _facts(facts: IncidentFacts) -> dict[str, Any]:
    times = facts.milestones
    pages = sorted(facts.pages, key=lambda p: (p.paged_at, p.user))
    acknowledged = [(p.acknowledged_at, p.user) for p in pages if p.acknowledged_at is not None]
    first_ack = min(acknowledged) if acknowledged else None
    return {
        "impact_started_at": _when(times.impact_started_at),
        "detected_at": utc(times.detected_at),
        "acknowledged_at": _when(times.acknowledged_at),
        "mitigated_at": _when(times.mitigated_at),
        "resolved_at": _when(times.resolved_at),
        "alerts": [
            {
                "summary": alert.summary,
                "service": alert.service,
                "first_fired_at": utc(alert.first_fired_at),
                "occurrences": alert.occurrences,
                "runbook_url": alert.runbook_url,
            }
            for alert in sorted(facts.alerts, key=lambda a: (a.first_fired_at, a.summary))
        ],
        "pages": [
            {
                "user": page.user,
                "paged_at": utc(page.paged_at),
                "acknowledged_at": _when(page.acknowledged_at),
                "state": page.state,
            }
            for page in pages
        ],
        "first_page_at": utc(pages[0].paged_at) if pages else None,
        "first_acknowledgement": (
            {"user": first_ack[1], "at": utc(first_ack[0])} if first_ack else None
        ),
        "public_updates": [
            {"at": utc(update.at), "status": update.status, "body": update.body}
            for update in sorted(facts.updates, key=lambda u: u.at)
        ],
        "metrics": metrics(facts),
    }


def authors(facts: IncidentFacts) -> list[str]:
    """Everyone who held a role: the roster, then earlier holders handed over from."""
    names = [person for _, person in facts.roles]
    for entry in facts.entries:
        if entry.kind is EntryKind.ROLE_CHANGE:
            names.extend(entry.details.get(side, "") for side in ("from", "to"))
    return list(dict.fromkeys(name for name in names if name))


def _summary(facts: IncidentFacts, duration: str) -> str:
    times = facts.milestones
    where = f" affecting {', '.join(facts.services)}" if facts.services else ""
    lines = [f"{facts.reference} ({facts.severity}): {facts.title}{where}."]
    steps = [f"detected {clock_time(times.detected_at, '')}"]
    if times.mitigated_at is not None:
        steps.append(f"mitigated {clock_time(times.mitigated_at, '')}")
    if times.resolved_at is not None:
        steps.append(f"resolved {clock_time(times.resolved_at, '')}")
    lines.append(f"It was {', '.join(steps)}" + (f"; {duration} of impact." if duration else "."))
    if facts.summary.strip():
        lines.append(facts.summary.strip())
    return " ".join(lines)


def next_why(answer: str) -> str:
    """The Five Whys helper's next question, asked of the last answer."""
    text = answer.strip().rstrip(".")
    return f"Why? ({text})" if text else "Why?"


def draft(facts: IncidentFacts, sections: Sequence[Section]) -> dict[str, Any]:
    """The postmortem document drafted from ``facts`` with ``sections`` (see the docstring)."""
    times = facts.milestones
    day = (times.impact_started_at or times.detected_at).astimezone(UTC).date().isoformat()
    span = impact_span(times)
    duration = in_words(span) if span is not None else ""
    description = f"{duration} of impact" if duration else "Impact not yet over"
    if facts.services:
        description += f" on {', '.join(facts.services)}"
    if facts.components:
        description += f" (components: {', '.join(facts.components)})"
    return {
        "title": f"[{facts.severity}] {facts.title} - {day}",
        "date": day,
        "duration": duration,
        "severity": facts.severity,
        "services": list(facts.services),
        "components": list(facts.components),
        "authors": authors(facts),
        "summary": _summary(facts, duration),
        "impact": {
            "users_affected": facts.users_affected,
            "revenue_impact": facts.revenue_impact,
            "error_budget_consumed": facts.error_budget_consumed,
            "description": description + ".",
        },
        "timeline": [timeline_item(e, day, why) for e, why in key_entries(facts.entries)],
        "root_cause": "",
        "five_whys": [{"why": f"Why did this happen: {facts.title}?", "answer": "", "cites": []}],
        "contributing_factors": [],
        "what_went_well": [],
        "what_went_poorly": [],
        "where_we_got_lucky": [],
        "lessons_learned": [],
        "extra": {
            key: ([] if section.kind == "list" else "")
            for key, section in own_sections(sections).items()
        },
        "sections": [section.as_data() for section in sections],
        "facts": _facts(facts),
    }
