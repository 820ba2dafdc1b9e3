"""Alertmanager-style label matchers: parsing, printing, and what each operator matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.matchers import Matcher, MatcherError, Operator, matches_all, parse, parse_all

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
values = st.text(max_size=20)
operators = st.sampled_from(list(Operator))


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ('severity="critical"', "severity", Operator.EQUAL, "critical"),
        ("severity=critical", "severity", Operator.EQUAL, "critical"),
        ('team != "db"', "team", Operator.NOT_EQUAL, "db"),
        ('cluster=~"eu-.*"', "cluster", Operator.REGEX, "eu-.*"),
        ("env!~staging|dev", "env", Operator.NOT_REGEX, "staging|dev"),
        ('summary="say \\"hi\\""', "summary", Operator.EQUAL, 'say "hi"'),
        ('team=""', "team", Operator.EQUAL, ""),
    ],
)
def test_parses_the_four_operators(text: str, name: str, op: Operator, value: str) -> None:
    assert parse(text) == Matcher(name, op, value)


@pytest.mark.parametrize(
    "text", ["severity", "=x", "9lives=1", 'a=~"("', 'a="x" b="y"', 'a="x', "a=b c"]
)
def test_rejects_what_is_not_a_matcher(text: str) -> None:
    with pytest.raises(MatcherError):
        parse(text)


def test_regexes_are_anchored_and_absent_labels_are_empty() -> None:
    labels = {"cluster": "prod-eu-1", "severity": "critical"}
    assert parse('cluster=~"prod-.*"').matches(labels)
    assert not parse('cluster=~"eu"').matches(labels)
    assert parse('team=""').matches(labels)
    assert not parse('team!=""').matches(labels)
    assert parse("team!~.+").matches(labels)
    assert matches_all(parse_all(['severity="critical"', "cluster=~prod-.*"]), labels)
    assert not matches_all(parse_all(['severity="critical"', "cluster=~dev-.*"]), labels)
    assert matches_all((), labels)


@given(names, operators, values)
def test_printing_then_parsing_gives_the_same_matcher(name: str, op: Operator, value: str) -> None:
    pattern = re.escape(value) if op.is_regex else value
    matcher = Matcher(name, op, pattern)
    assert parse(str(matcher)) == matcher


@given(names, values, st.dictionaries(names, values, max_size=4))
def test_negations_are_complements(name: str, value: str, labels: dict[str, str]) -> None:
    equal, not_equal = (
        Matcher(name, Operator.EQUAL, value),
        Matcher(name, Operator.NOT_EQUAL, value),
    )
    regex = Matcher(name, Operator.REGEX, re.escape(value))
    not_regex = Matcher(name, Operator.NOT_REGEX, re.escape(value))
    assert equal.matches(labels) != not_equal.matches(labels)
    assert regex.matches(labels) != not_regex.matches(labels)
    assert equal.matches(labels) == regex.matches(labels)


@given(names, values, st.dictionaries(names, values, max_size=4))
def test_equality_matches_exactly_the_label_value(
    name: str, value: str, labels: dict[str, str]
) -> None:
    assert Matcher(name, Operator.EQUAL, value).matches({**labels, name: value})
    assert Matcher(name, Operator.EQUAL, value).matches(labels) == (labels.get(name, "") == value)
