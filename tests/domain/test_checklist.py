from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.domain.checklist import (
    DEFAULT_TEMPLATE,
    ChecklistError,
    ChecklistItem,
    ChecklistTemplate,
    TemplateItem,
    TemplateSection,
    UnknownItem,
    instantiate,
    progress,
    slugify,
    template_from_config,
    tick,
    untick,
)

NOW = datetime(2026, 2, 15, 14, 20, tzinfo=UTC)


def test_slugify() -> None:
    assert slugify("Review recent deployments") == "review-recent-deployments"
    assert slugify("  Can we rollback a recent change?  ") == "can-we-rollback-a-recent-change"
    assert slugify("Assign Roles") == "assign-roles"
    assert slugify("?!") == ""


def test_default_template_is_the_seed_response_template() -> None:
    assert [s.title for s in DEFAULT_TEMPLATE.sections] == [
        "Detection",
        "Triage",
        "Assign Roles",
        "Investigate",
        "Mitigate",
        "Communicate",
        "Resolve",
    ]
    items = instantiate()
    assert len(items) == 24
    assert [item.key for item in items if item.section == "Investigate"] == [
        "investigate.check-monitoring-dashboards",
        "investigate.review-recent-deployments",
        "investigate.examine-logs-and-traces",
        "investigate.check-infrastructure-health",
    ]
    assert [item.key for item in items if item.section == "Assign Roles"] == [
        "assign-roles.incident-commander",
        "assign-roles.communications-lead",
        "assign-roles.operations-lead",
        "assign-roles.scribe",
    ]
    assert items[0] == ChecklistItem(
        key="detection.how-was-the-incident-detected",
        section="Detection",
        text="How was the incident detected?",
    )
    assert items[-1].key == "resolve.declare-the-incident-resolved"
    assert not any(item.done for item in items)
    assert progress(items) == (0, 24)


def test_keys_are_stable_across_incidents() -> None:
    assert [i.key for i in instantiate()] == [i.key for i in instantiate(DEFAULT_TEMPLATE)]


def test_config_mapping_replaces_the_default() -> None:
    template = template_from_config(
        {
            "Stabilise": ["Page the database team", {"key": "freeze", "text": "Freeze deploys"}],
            "Tell people": ["Update the status page"],
        }
    )
    assert [(i.key, i.section, i.text) for i in instantiate(template)] == [
        ("stabilise.page-the-database-team", "Stabilise", "Page the database team"),
        ("stabilise.freeze", "Stabilise", "Freeze deploys"),
        ("tell-people.update-the-status-page", "Tell people", "Update the status page"),
    ]


def test_config_list_with_section_keys() -> None:
    template = template_from_config(
        [{"title": "Detection", "key": "detect", "items": ["What alerts fired?"]}]
    )
    assert template == ChecklistTemplate(
        sections=(
            TemplateSection(
                key="detect",
                title="Detection",
                items=(TemplateItem(key="what-alerts-fired", text="What alerts fired?"),),
            ),
        )
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Detection", "checklist: expected a list of sections or a mapping"),
        ([], "checklist: at least one section is required"),
        ([["x"]], r"sections\[0\]: expected a mapping with title and items"),
        ([{"title": "A", "items": []}], r"sections\[0\].items: expected a non-empty list"),
        ([{"items": ["x"]}], r"sections\[0\].title: expected non-empty text"),
        ([{"title": "A", "items": ["x"], "when": 1}], r"sections\[0\]: unknown field 'when'"),
        ([{"title": "A", "items": [3]}], r"sections\[0\].items\[0\]: expected text or a mapping"),
        ([{"title": "A", "items": [{"key": "k"}]}], r"sections\[0\].items\[0\].text: expected"),
        ([{"title": "A", "items": [{"text": "t", "x": 1}]}], r"items\[0\]: unknown field 'x'"),
        ([{"title": "A", "items": ["  "]}], r"sections\[0\].items\[0\]: expected non-empty text"),
        (
            {"A": ["Check it", "check it!"]},
            r"sections\[0\].items\[1\]: duplicate item key 'check-it' in 'a'",
        ),
        ({"A": ["x"], "a": ["y"]}, r"sections\[1\]: duplicate section key 'a'"),
        ({"???": ["x"]}, r"sections\[0\]: a section needs a key or a title with letters"),
        ({"A": ["!!"]}, r"sections\[0\].items\[0\]: an item needs a key or text with letters"),
    ],
)
def test_bad_config_names_the_place(data: object, message: str) -> None:
    with pytest.raises(ChecklistError, match=message):
        template_from_config(data)


def test_tick_and_untick() -> None:
    items = instantiate()
    key = "investigate.review-recent-deployments"
    ticked = tick(items, key, by="alice", at=NOW)
    assert ticked.changed
    assert ticked.item.done and ticked.item.done_by == "alice" and ticked.item.done_at == NOW
    assert progress(ticked.items) == (1, 24)
    assert [i.key for i in ticked.items] == [i.key for i in items]
    assert items[11].key == key and not items[11].done  # the input is untouched

    again = tick(ticked.items, key, by="bob", at=NOW.replace(minute=30))
    assert not again.changed
    assert again.item.done_by == "alice"
    assert again.items == ticked.items

    unticked = untick(again.items, key)
    assert unticked.changed
    assert unticked.item == ChecklistItem(key=key, section="Investigate", text=ticked.item.text)
    assert unticked.items == items
    assert not untick(unticked.items, key).changed


def test_tick_rules() -> None:
    items = instantiate()
    with pytest.raises(UnknownItem) as raised:
        tick(items, "investigate.pray", by="alice", at=NOW)
    assert str(raised.value) == "no checklist item 'investigate.pray'"
    assert "investigate.review-recent-deployments" in raised.value.known
    with pytest.raises(UnknownItem):
        untick(items, "nope")
    with pytest.raises(ValueError, match="by: who ticked the item is required"):
        tick(items, "resolve.verify-metrics-have-recovered", by="", at=NOW)
    with pytest.raises(ValueError, match="at: expected a timezone-aware time"):
        tick(items, "resolve.verify-metrics-have-recovered", by="a", at=datetime(2026, 1, 1))
