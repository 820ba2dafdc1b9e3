"""Drafting a postmortem from an incident's facts: the key entries, the header, the facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.lifecycle import Milestones, Status
from tocsin.domain.postmortem_document import STANDARD_SECTIONS, Section, diff, sections_of
from tocsin.domain.postmortem_draft import (
    AlertFact,
    IncidentFacts,
    PageFact,
    UpdateFact,
    draft,
    in_words,
    key_entries,
    may_be_key,
    next_why,
)
from tocsin.domain.timeline import EntryKind, NoteKind, TimelineEntry

T0 = datetime(2026, 2, 15, 14, 2, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(
    sequence: int,
    minutes: int,
    kind: EntryKind,
    text: str,
    note_kind: NoteKind | None = None,
    corrects: int | None = None,
    details: dict[str, str] | None = None,
) -> TimelineEntry:
    return TimelineEntry(
        sequence=sequence,
        kind=kind,
        text=text,
        recorded_at=at(minutes),
        occurred_at=at(minutes),
        author="rex",
        note_kind=note_kind,
        corrects=corrects,
        details=details or {},
    )


NOTE = EntryKind.NOTE
ENTRIES = (
    entry(1, 13, EntryKind.DECLARED, "Declared SEV-2: Payments failing"),
    entry(2, 13, EntryKind.ALERT_LINKED, "Alert: pool exhausted"),
    entry(3, 13, NOTE, "Paging: paged engineer-a", NoteKind.ACTION, details={"paging": "paged"}),
    entry(4, 14, NOTE, "Paging: paged engineer-b", NoteKind.ACTION, details={"paging": "paged"}),
    entry(5, 14, NOTE, "Checked the dashboards", NoteKind.OBSERVATION),
    entry(
        6,
        16,
        NOTE,
        "Paging: acknowledged by engineer-a",
        NoteKind.ACTION,
        details={"paging": "acknowledged"},
    ),
    entry(
        7, 16, EntryKind.STATUS_CHANGE, "Status triage → responding", details={"to": "responding"}
    ),
    entry(
        8,
        17,
        EntryKind.ROLE_CHANGE,
        "IC: rex → ivy",
        details={"from": "rex", "to": "ivy"},
    ),
    entry(9, 20, NOTE, "Roll back v3.4.2", NoteKind.DECISION),
    entry(10, 21, EntryKind.CORRECTION, "Roll back to v3.4.1", NoteKind.DECISION, corrects=9),
    entry(11, 22, EntryKind.CORRECTION, "Dashboards were stale", NoteKind.OBSERVATION, corrects=5),
    entry(
        12,
        30,
        EntryKind.STATUS_CHANGE,
        "Status responding → mitigated",
        details={"to": "mitigated"},
    ),
    entry(13, 31, EntryKind.SEVERITY_CHANGE, "Severity SEV-2 → SEV-3"),
    entry(
        14, 47, EntryKind.STATUS_CHANGE, "Status mitigated → resolved", details={"to": "resolved"}
    ),
)


def facts(**changes: Any) -> IncidentFacts:
    base = IncidentFacts(
        reference="INC-7",
        title="Payments failing",
        severity="SEV-2",
        status=Status.RESOLVED,
        milestones=Milestones(
            detected_at=at(13),
            impact_started_at=at(0),
            acknowledged_at=at(16),
            mitigated_at=at(30),
            resolved_at=at(47),
        ),
        services=("checkout",),
        components=("Checkout", "Payments API"),
        roles=(("incident_commander", "ivy"), ("scribe", "sam")),
        users_affected=12500,
        revenue_impact="$45,000",
        error_budget_consumed="35%",
        entries=ENTRIES,
        alerts=(AlertFact("Pool exhausted", "checkout", at(12), 3, "https://runbooks/pool"),),
        pages=(
            PageFact("engineer-b", at(14), None, "closed"),
            PageFact("engineer-a", at(13), at(16), "acknowledged"),
        ),
        updates=(UpdateFact(at(20), "investigating", "We are looking into it."),),
    )
    return replace(base, **changes)


def test_key_entries_are_the_moments_a_reader_needs_and_nothing_else() -> None:
    chosen = [(e.sequence, why) for e, why in key_entries(ENTRIES)]
    assert chosen == [
        (1, "declaration"),
        (2, "first alert"),
        (3, "first page"),
        (6, "first acknowledgement"),
        (7, "status change"),
        (8, "role hand-over"),
        (9, "decision"),
        (10, "correction"),
        (12, "mitigation"),
        (13, "severity change"),
        (14, "status change"),
    ]


def test_the_draft_fills_the_seed_header_impact_facts_and_this_incidents_mttx() -> None:
    document = draft(facts(), tuple(STANDARD_SECTIONS.values()))
    assert document["title"] == "[SEV-2] Payments failing - 2026-02-15"
    assert document["date"] == "2026-02-15"
    assert document["duration"] == "30 minutes"  # impact start 14:02 to mitigation 14:32
    assert document["authors"] == ["ivy", "sam", "rex"]
    assert document["impact"] == {
        "users_affected": 12500,
        "revenue_impact": "$45,000",
        "error_budget_consumed": "35%",
        "description": "30 minutes of impact on checkout (components: Checkout, Payments API).",
    }
    assert document["timeline"][0] == {
        "sequence": 1,
        "at": "2026-02-15T14:15:00Z",
        "time": "14:15 UTC",
        "event": "Declared SEV-2: Payments failing",
        "why": "declaration",
    }
    assert document["timeline"][7]["event"] == "Correction of #9: Roll back to v3.4.1"
    shown = document["facts"]
    assert shown["first_page_at"] == "2026-02-15T14:15:00Z"
    assert shown["first_acknowledgement"] == {"user": "engineer-a", "at": "2026-02-15T14:18:00Z"}
    assert [page["user"] for page in shown["pages"]] == ["engineer-a", "engineer-b"]
    assert shown["alerts"][0]["first_fired_at"] == "2026-02-15T14:14:00Z"
    assert shown["public_updates"][0]["status"] == "investigating"
    assert shown["metrics"] == {
        "mttd": {"seconds": 780, "text": "13 minutes"},
        "mtta": {"seconds": 180, "text": "3 minutes"},
        "mttr": {"seconds": 2040, "text": "34 minutes"},
    }
    assert document["five_whys"][0]["why"] == "Why did this happen: Payments failing?"


def test_without_an_impact_start_mttd_is_not_available_and_duration_counts_from_detection() -> None:
    times = Milestones(detected_at=at(13), acknowledged_at=at(16), resolved_at=at(73))
    document = draft(facts(milestones=times), ())
    assert document["facts"]["metrics"]["mttd"] == {"seconds": None, "text": "n/a"}
    assert document["duration"] == "1 hour"
    assert document["facts"]["impact_started_at"] is None


def test_a_templates_sections_order_and_extend_the_document() -> None:
    sections = sections_of(
        [
            ("summary", "Summary", None, ""),
            ("trigger", "", None, "What set it off"),
            ("what_went_poorly", "What went wrong", None, ""),
            ("supporting_links", "", "list", ""),
        ],
        examples={"summary": "The payment service was unavailable."},
    )
    assert [(s.key, s.title, s.kind) for s in sections] == [
        ("summary", "Summary", "text"),
        ("trigger", "Trigger", "text"),
        ("what_went_poorly", "What went wrong", "list"),
        ("supporting_links", "Supporting links", "list"),
    ]
    assert sections[0].hint == "For example: The payment service was unavailable."
    document = draft(facts(), sections)
    assert document["extra"] == {"trigger": "", "supporting_links": []}
    assert [s["key"] for s in document["sections"]] == [s.key for s in sections]
    assert sections_of([]) == tuple(STANDARD_SECTIONS.values())


def test_durations_read_as_the_seed_writes_them() -> None:
    assert in_words(timedelta(minutes=47)) == "47 minutes"
    assert in_words(timedelta(hours=1, minutes=5, seconds=20)) == "1 hour 5 minutes"
    assert in_words(timedelta(days=2, hours=3, minutes=1)) == "2 days 3 hours"
    assert in_words(timedelta(seconds=1)) == "1 second"


def test_the_five_whys_helper_asks_of_the_last_answer() -> None:
    assert next_why("The pool was exhausted.") == "Why? (The pool was exhausted)"
    assert next_why("  ") == "Why?"


def test_diff_names_each_changed_field_and_nested_part() -> None:
    before = {"summary": "a", "impact": {"users_affected": 1}, "extra": {"trigger": ""}}
    after = {"summary": "b", "impact": {"users_affected": 2}, "extra": {"trigger": "x"}}
    assert [c.as_data() for c in diff(before, after)] == [
        {"field": "extra.trigger", "before": "", "after": "x"},
        {"field": "impact.users_affected", "before": 1, "after": 2},
        {"field": "summary", "before": "a", "after": "b"},
    ]
    assert diff(after, after) == []


_KINDS = st.sampled_from(list(EntryKind))


@st.composite
def timelines(draw: st.DrawFn) -> list[TimelineEntry]:
    count = draw(st.integers(0, 40))
    found = []
    for sequence in range(1, count + 1):
        kind = draw(_KINDS)
        corrects = draw(st.integers(1, sequence - 1)) if sequence > 1 else None
        if kind is EntryKind.CORRECTION and corrects is None:
            kind = EntryKind.DECLARED
        note = draw(st.sampled_from(list(NoteKind))) if kind is EntryKind.NOTE else None
        details = draw(st.sampled_from([{}, {"paging": "paged"}, {"paging": "acknowledged"}]))
        found.append(
            entry(
                sequence,
                sequence,
                kind,
                f"entry {sequence}",
                note,
                corrects if kind is EntryKind.CORRECTION else None,
                details=dict(details),
            )
        )
    return found


@settings(deadline=None)
@given(timelines())
def test_drafting_is_deterministic_and_keeps_key_entries_in_order(
    entries: list[TimelineEntry],
) -> None:
    sections: tuple[Section, ...] = tuple(STANDARD_SECTIONS.values())
    first = draft(facts(entries=tuple(entries)), sections)
    assert first == draft(facts(entries=tuple(reversed(entries))), sections)
    sequences = [item["sequence"] for item in first["timeline"]]
    assert sequences == sorted(set(sequences))
    paged = [e.sequence for e in entries if e.details.get("paging") == "paged"]
    assert not paged or paged[0] in sequences
    for dropped in set(e.sequence for e in entries) - set(sequences):
        (lost,) = [e for e in entries if e.sequence == dropped]
        assert lost.kind not in (EntryKind.DECLARED, EntryKind.STATUS_CHANGE)
    # Only the entries that may be key are needed: reading just those drafts the same.
    fewer = tuple(e for e in entries if may_be_key(e))
    assert draft(facts(entries=fewer), sections) == first
