from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.timeline import (
    EntryDraft,
    EntryKind,
    IncidentSummary,
    NoteKind,
    Order,
    TimelineEntry,
    TimelineError,
    append,
    ordered,
    to_data,
    to_json,
    to_markdown,
)

START = datetime(2026, 2, 15, 14, 15, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def build(*steps: tuple[EntryDraft, float]) -> list[TimelineEntry]:
    """Append each draft at its recorded minute."""
    entries: list[TimelineEntry] = []
    for draft, minutes in steps:
        entries.append(append(entries, draft, at(minutes)))
    return entries


def note(text: str, kind: NoteKind, occurred: float | None = None) -> EntryDraft:
    return EntryDraft(
        kind=EntryKind.NOTE,
        text=text,
        author="sam",
        note_kind=kind,
        occurred_at=at(occurred) if occurred is not None else None,
    )


def status_change(source: str, target: str) -> EntryDraft:
    return EntryDraft(
        kind=EntryKind.STATUS_CHANGE,
        text=f"Status changed from {source} to {target}",
        author="alice",
        details={"from": source, "to": target},
    )


def correction(of: int, text: str) -> EntryDraft:
    return EntryDraft(kind=EntryKind.CORRECTION, text=text, author="sam", corrects=of)


def story() -> list[TimelineEntry]:
    return build(
        (EntryDraft(kind=EntryKind.DECLARED, text="Incident declared", author="alice"), 0),
        (status_change("triage", "responding"), 3),
        (note("Identified slow query in v3.4.2", NoteKind.OBSERVATION), 10),
        (note("Roll back to v3.4.1", NoteKind.DECISION, occurred=8), 12),
        (correction(3, "The slow query came from v3.4.1's migration"), 20),
        (correction(5, "Not the migration: the new report endpoint"), 25),
        (status_change("responding", "resolved"), 34),
    )


def test_append_numbers_entries_and_defaults_occurred_at() -> None:
    entries = story()
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    assert entries[1] == TimelineEntry(
        sequence=2,
        kind=EntryKind.STATUS_CHANGE,
        text="Status changed from triage to responding",
        recorded_at=at(3),
        occurred_at=at(3),
        author="alice",
        details={"from": "triage", "to": "responding"},
    )
    assert (entries[3].occurred_at, entries[3].recorded_at) == (at(8), at(12))
    assert entries[4].corrects == 3


def test_append_does_not_touch_the_timeline() -> None:
    entries = story()
    before = list(entries)
    append(entries, note("More", NoteKind.ACTION), at(40))
    assert entries == before


def test_append_trims_text() -> None:
    entry = append([], note("  Paged DBA \n", NoteKind.ACTION), at(0))
    assert entry.text == "Paged DBA"


@pytest.mark.parametrize(
    ("draft", "field", "message"),
    [
        (note("x", NoteKind.ACTION, occurred=1), "occurred_at", "cannot be later than"),
        (EntryDraft(kind=EntryKind.NOTE, text="x"), "note_kind", "required for a note"),
        (
            EntryDraft(kind=EntryKind.STATUS_UPDATE, text="x", note_kind=NoteKind.DECISION),
            "note_kind",
            "only notes and their corrections",
        ),
        (EntryDraft(kind=EntryKind.CORRECTION, text="x"), "corrects", "must name the entry"),
        (correction(9, "x"), "corrects", "no entry #9 in this timeline"),
        (
            EntryDraft(kind=EntryKind.NOTE, text="x", note_kind=NoteKind.ACTION, corrects=1),
            "corrects",
            "only a correction may reference",
        ),
        (note("   ", NoteKind.ACTION), "text", "required"),
        (
            EntryDraft(
                kind=EntryKind.NOTE,
                text="x",
                note_kind=NoteKind.ACTION,
                occurred_at=datetime(2026, 2, 15, 14, 0),
            ),
            "occurred_at",
            "timezone-aware",
        ),
    ],
)
def test_append_rules(draft: EntryDraft, field: str, message: str) -> None:
    entries = build((EntryDraft(kind=EntryKind.DECLARED, text="Declared"), 0))
    with pytest.raises(TimelineError, match=message) as raised:
        append(entries, draft, at(0))
    assert raised.value.field == field


def test_recorded_at_must_be_aware() -> None:
    with pytest.raises(TimelineError) as raised:
        append([], note("x", NoteKind.ACTION), datetime(2026, 2, 15))
    assert raised.value.field == "recorded_at"


def test_a_correction_may_correct_a_correction_and_cannot_point_ahead() -> None:
    entries = story()
    assert entries[5].corrects == 5
    with pytest.raises(TimelineError, match="no entry #8"):
        append(entries, correction(8, "x"), at(50))


def test_back_dating_to_the_same_instant_is_allowed_and_other_zones_compare_as_instants() -> None:
    paris = timezone(timedelta(hours=1))
    draft = note("x", NoteKind.ACTION)
    same = replace(draft, occurred_at=at(5).astimezone(paris))
    assert append([], same, at(5)).occurred_at == at(5)


def test_orders() -> None:
    entries = story()
    recorded = [e.sequence for e in ordered(list(reversed(entries)))]
    assert recorded == [1, 2, 3, 4, 5, 6, 7]
    assert [e.sequence for e in ordered(entries, Order.OCCURRED)] == [1, 2, 4, 3, 5, 6, 7]


def test_same_recorded_at_falls_back_to_sequence() -> None:
    entries = build((note("a", NoteKind.ACTION), 1), (note("b", NoteKind.ACTION), 1))
    assert [e.text for e in ordered(list(reversed(entries)))] == ["a", "b"]


SUMMARY = IncidentSummary(
    reference="INC-42",
    title="Payment service outage",
    severity="SEV-1",
    status="resolved",
    detected_at=START,
    resolved_at=at(34),
    roles={"Incident Commander": "alice", "Scribe": "sam"},
    summary="Connection pool exhaustion after v3.4.2.",
)


def test_markdown_nests_corrections_under_what_they_correct() -> None:
    assert to_markdown(SUMMARY, story()) == (
        "# INC-42: Payment service outage\n"
        "\n"
        "- Severity: SEV-1\n"
        "- Status: resolved\n"
        "- Detected: 2026-02-15 14:15 UTC\n"
        "- Resolved: 2026-02-15 14:49 UTC\n"
        "- Incident Commander: alice\n"
        "- Scribe: sam\n"
        "\n"
        "Connection pool exhaustion after v3.4.2.\n"
        "\n"
        "## Timeline\n"
        "\n"
        "- #1 **2026-02-15 14:15 UTC** · declared · alice: Incident declared\n"
        "- #2 **2026-02-15 14:18 UTC** · status change · alice: "
        "Status changed from triage to responding\n"
        "- #3 **2026-02-15 14:25 UTC** · observation · sam: Identified slow query in v3.4.2\n"
        "  - #5 **Correction** (2026-02-15 14:35 UTC · sam): "
        "The slow query came from v3.4.1's migration\n"
        "    - #6 **Correction** (2026-02-15 14:40 UTC · sam): "
        "Not the migration: the new report endpoint\n"
        "- #4 **2026-02-15 14:23 UTC** · decision · sam "
        "_(back-dated; recorded 2026-02-15 14:27 UTC)_: Roll back to v3.4.1\n"
        "- #7 **2026-02-15 14:49 UTC** · status change · alice: "
        "Status changed from responding to resolved\n"
    )


def test_markdown_in_occurrence_order() -> None:
    text = to_markdown(SUMMARY, story(), Order.OCCURRED)
    assert "## Timeline (by time of occurrence)\n" in text
    lines = [line for line in text.splitlines() if line.startswith("- #")]
    assert [line.split()[1] for line in lines] == ["#1", "#2", "#4", "#3", "#7"]


def test_markdown_without_entries_and_with_multiline_text() -> None:
    bare = IncidentSummary(reference="INC-1", title="Blip", severity="SEV-4", status="triage")
    assert to_markdown(bare, []) == (
        "# INC-1: Blip\n\n- Severity: SEV-4\n- Status: triage\n\n## Timeline\n\n_No entries yet._\n"
    )
    entries = build((note("First line\nsecond line", NoteKind.OBSERVATION), 0))
    assert to_markdown(bare, entries).endswith(
        "- #1 **2026-02-15 14:15 UTC** · observation · sam: First line\n  second line\n"
    )


def test_a_correction_without_its_target_is_shown_on_its_own() -> None:
    entries = story()
    subset = [e for e in entries if e.sequence != 3]
    text = to_markdown(SUMMARY, subset)
    assert (
        "- #5 **2026-02-15 14:35 UTC** · correction · sam (corrects #3, not shown): "
        "The slow query came from v3.4.1's migration\n"
        "  - #6 **Correction** (2026-02-15 14:40 UTC · sam): "
        "Not the migration: the new report endpoint\n"
    ) in text


def test_json_document() -> None:
    document = json.loads(to_json(SUMMARY, story()))
    assert document["incident"] == {
        "reference": "INC-42",
        "title": "Payment service outage",
        "severity": "SEV-1",
        "status": "resolved",
        "detected_at": "2026-02-15T14:15:00Z",
        "resolved_at": "2026-02-15T14:49:00Z",
        "roles": {"Incident Commander": "alice", "Scribe": "sam"},
        "summary": "Connection pool exhaustion after v3.4.2.",
    }
    assert document["order"] == "recorded"
    assert [e["sequence"] for e in document["entries"]] == [1, 2, 3, 4, 7]
    assert document["entries"][2] == {
        "sequence": 3,
        "kind": "note",
        "note_kind": "observation",
        "occurred_at": "2026-02-15T14:25:00Z",
        "recorded_at": "2026-02-15T14:25:00Z",
        "author": "sam",
        "text": "Identified slow query in v3.4.2",
        "corrects": None,
        "details": {},
        "corrections": [
            {
                "sequence": 5,
                "kind": "correction",
                "note_kind": None,
                "occurred_at": "2026-02-15T14:35:00Z",
                "recorded_at": "2026-02-15T14:35:00Z",
                "author": "sam",
                "text": "The slow query came from v3.4.1's migration",
                "corrects": 3,
                "details": {},
                "corrections": [
                    {
                        "sequence": 6,
                        "kind": "correction",
                        "note_kind": None,
                        "occurred_at": "2026-02-15T14:40:00Z",
                        "recorded_at": "2026-02-15T14:40:00Z",
                        "author": "sam",
                        "text": "Not the migration: the new report endpoint",
                        "corrects": 5,
                        "details": {},
                        "corrections": [],
                    }
                ],
            }
        ],
    }
    assert document["entries"][1]["details"] == {"from": "triage", "to": "responding"}
    assert to_data(SUMMARY, story(), Order.OCCURRED)["order"] == "occurred"


def count(nodes: Sequence[dict[str, object]]) -> int:
    total = 0
    for node in nodes:
        children = node["corrections"]
        assert isinstance(children, list)
        total += 1 + count(children)
    return total


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5),  # minutes since the previous entry
            st.integers(min_value=0, max_value=30),  # minutes back-dated
            st.integers(min_value=0, max_value=20),  # entry to correct (0: a note)
        ),
        max_size=25,
    )
)
def test_every_entry_is_rendered_exactly_once(steps: list[tuple[int, int, int]]) -> None:
    entries: list[TimelineEntry] = []
    clock = 0
    for gap, back, target in steps:
        clock += gap
        if 0 < target <= len(entries):
            draft = EntryDraft(kind=EntryKind.CORRECTION, text="fix", corrects=target)
        else:
            draft = note("n", NoteKind.OBSERVATION, occurred=clock - back)
        entries.append(append(entries, draft, at(clock)))
    for order in Order:
        data = to_data(SUMMARY, entries, order)
        nodes = data["entries"]
        assert isinstance(nodes, list)
        assert count(nodes) == len(entries)
        markdown = to_markdown(SUMMARY, entries, order)
        assert sum(line.lstrip().startswith("- #") for line in markdown.splitlines()) == len(
            entries
        )
