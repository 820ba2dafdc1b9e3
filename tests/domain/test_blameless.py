"""The blameless language check flags blame-shaped sentences and passes their blameless rewrites."""

from __future__ import annotations

import pytest

from tocsin.domain.blameless import (
    BUILTIN_IDS,
    check,
    check_document,
    own_rule,
    rule_set,
    sentences,
)

PEOPLE = ("bob", "Bob Marsh", "Bob", "engineer-a", "Priya")

#: (blame-shaped sentence, the rules it must trip, its blameless rewrite).
CASES = [
    (
        "Bob broke the deploy by pushing an untested config.",
        {"person_blamed"},
        "The deploy pipeline accepted a config that no test had exercised.",
    ),
    (
        "engineer-a deleted the production table.",
        {"person_blamed"},
        "The migration tool ran against production because both environments shared one "
        "connection string.",
    ),
    (
        "Priya accidentally dropped the index during the migration.",
        {"person_blamed"},
        "The migration dropped the index because the script did not distinguish the old schema.",
    ),
    (
        "The outage was caused by human error.",
        {"human_error"},
        "The console let a single click restart every node at once, with no confirmation.",
    ),
    (
        "Root cause: operator error during the failover.",
        {"human_error"},
        "Root cause: the failover runbook listed the steps in an order the tooling did not "
        "enforce.",
    ),
    (
        "The on-call engineer should have checked the dashboard first.",
        {"should_have", "person_blamed"},
        "The dashboard that showed the pool filling up was not linked from the alert.",
    ),
    (
        "We ought to have rolled back sooner.",
        {"should_have"},
        "Rolling back took 15 minutes because the previous build had to be rebuilt.",
    ),
    (
        "The team shouldn't have deployed on a Friday.",
        {"should_have"},
        "Deploys on Fridays go out with the same checks as any other day; none caught this one.",
    ),
    (
        "The on-call failed to acknowledge the page.",
        {"failed_to", "person_blamed"},
        "The page went to a phone that was on silent, and no second contact method was set.",
    ),
    (
        "She forgot to update the runbook after the last incident.",
        {"failed_to", "person_blamed"},
        "The runbook has no owner, so nothing prompted an update after the last incident.",
    ),
    (
        "The reviewer neglected to look at the query plan.",
        {"failed_to"},
        "The review checklist does not ask for a query plan.",
    ),
    (
        "A careless change to the load balancer took the site down.",
        {"careless"},
        "A change to the load balancer took the site down; the change tool applied it to every "
        "region at once.",
    ),
    (
        "It was a sloppy rollout.",
        {"careless"},
        "The rollout skipped the canary stage, which the pipeline makes optional.",
    ),
    (
        "The engineer was not paying attention to the alerts.",
        {"careless"},
        "Forty alerts fired in ten minutes; the one that mattered looked like the others.",
    ),
    (
        "A fat-fingered command removed the wrong volume.",
        {"careless"},
        "The command removed the volume named in its argument; nothing asked for confirmation.",
    ),
    (
        "If Bob had run the tests, the bug would have been caught.",
        {"counterfactual"},
        "The tests that cover this path do not run in CI.",
    ),
    (
        "This would not have happened with a canary.",
        {"counterfactual"},
        "The release went to every host at once, with no canary stage.",
    ),
    (
        "The outage could have been avoided.",
        {"counterfactual"},
        "The outage followed from a pool size set in 2019 for a tenth of today's traffic.",
    ),
    (
        "Had the alert been tuned, we would have noticed sooner.",
        {"counterfactual"},
        "The alert fired after ten minutes because its window was set to ten minutes.",
    ),
    (
        "He ignored the warnings in the deploy log.",
        {"person_blamed"},
        "The deploy log printed 400 warnings per run, so a new one did not stand out.",
    ),
]


@pytest.mark.parametrize(("blamed", "rules", "rewrite"), CASES, ids=[c[0][:40] for c in CASES])
def test_blame_is_flagged_with_why_and_the_rewrite_passes(
    blamed: str, rules: set[str], rewrite: str
) -> None:
    flags = check(blamed, rule_set(), people=PEOPLE, field="summary")
    assert {flag.rule for flag in flags} == rules
    for flag in flags:
        assert flag.sentence == blamed and flag.field == "summary"
        assert blamed[flag.start : flag.end] == flag.matched
        assert flag.explanation and flag.alternative
    assert check(rewrite, rule_set(), people=PEOPLE) == []


def test_every_builtin_rule_is_exercised() -> None:
    assert set().union(*(rules for _, rules, _ in CASES)) == set(BUILTIN_IDS)


def test_flags_point_into_the_text_sentence_by_sentence() -> None:
    text = "The pool ran out.\nBob broke it. The cause was human error! Fine."
    flags = check(text, rule_set(), people=["Bob"])
    assert [(f.rule, f.sentence) for f in flags] == [
        ("person_blamed", "Bob broke it."),
        ("human_error", "The cause was human error!"),
    ]
    assert [text[f.start : f.end] for f in flags] == ["Bob broke", "human error"]
    assert [s for _, s in sentences(text)] == [
        "The pool ran out.",
        "Bob broke it.",
        "The cause was human error!",
        "Fine.",
    ]


def test_rules_are_switched_off_and_added() -> None:
    hero = own_rule(
        "hero",
        r"\bhero(?:es|ic)?\b",
        "Heroics hide the system's gaps.",
        "Say what the system needed.",
    )
    chosen = rule_set(disabled=["should_have"], extra=[hero])
    assert check("We should have waited.", chosen) == []
    assert [f.rule for f in check("Dan was the hero of the night.", chosen)] == ["hero"]
    no_people = rule_set(disabled=["person_blamed"])
    assert check("Bob broke it.", no_people, people=["Bob"]) == []


def test_a_document_is_checked_field_by_field() -> None:
    document = {
        "title": "Checkout outage",
        "summary": "Checkout failed. Bob forgot to scale the pool.",
        "impact": {"description": "Human error cost us an hour."},
        "timeline": [{"event": "Deploy started"}, {"event": "Bob skipped the canary"}],
        "five_whys": [{"why": "Why?", "answer": "We should have known."}],
        "contributing_factors": ["No load test", "Careless review"],
        "extra": {"trigger": "A config push", "links": ["https://x"]},
    }
    flags = check_document(document, rule_set(), people=["Bob"])
    assert [(f.field, f.rule) for f in flags] == [
        ("summary", "failed_to"),
        ("summary", "person_blamed"),
        ("impact.description", "human_error"),
        ("timeline.1.event", "person_blamed"),
        ("five_whys.0.answer", "should_have"),
        ("contributing_factors.1", "careless"),
    ]
