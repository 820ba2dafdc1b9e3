"""Severity text parsing and the ordered scale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.severity import (
    DEFAULT_SCALE,
    NEXT_BUSINESS_DAY,
    BusinessDay,
    SeverityLevel,
    SeverityScale,
    SeverityTextError,
    level_key,
    parse_cadence,
    parse_escalation,
    parse_response_time,
    role_name,
)


@pytest.mark.parametrize(
    ("text", "within"),
    [
        ("5 minutes", timedelta(minutes=5)),
        ("15 minutes", timedelta(minutes=15)),
        ("1 hour", timedelta(hours=1)),
        ("2 hours", timedelta(hours=2)),
        ("1 min", timedelta(minutes=1)),
        ("3 days", timedelta(days=3)),
        ("1 week", timedelta(weeks=1)),
        ("  30 Minutes ", timedelta(minutes=30)),
    ],
)
def test_response_time_spans(text: str, within: timedelta) -> None:
    parsed = parse_response_time(text)
    assert parsed.within == within
    assert parsed.text == text
    assert not parsed.is_business_day


def test_next_business_day_is_a_marker_not_a_span() -> None:
    parsed = parse_response_time("Next business day")
    assert parsed.within is NEXT_BUSINESS_DAY
    assert isinstance(parsed.within, BusinessDay)
    assert parsed.is_business_day
    assert parse_response_time("next  Business DAY").is_business_day


@pytest.mark.parametrize("text", ["soon", "0 minutes", "5", "minutes", "five minutes", "1 eon"])
def test_response_time_rejects_other_text_naming_the_accepted_forms(text: str) -> None:
    with pytest.raises(SeverityTextError) as raised:
        parse_response_time(text)
    assert str(raised.value) == (
        'must be "<number> minutes|hours|days" (e.g. "5 minutes", "1 hour") '
        f'or "Next business day", got {text!r}'
    )


@pytest.mark.parametrize(
    ("text", "every"),
    [
        ("Every 15 minutes", timedelta(minutes=15)),
        ("Every 30 minutes", timedelta(minutes=30)),
        ("Every 2 hours", timedelta(hours=2)),
        ("every hour", timedelta(hours=1)),
        ("Daily update", timedelta(days=1)),
        ("Hourly updates", timedelta(hours=1)),
        ("Weekly", timedelta(weeks=1)),
    ],
)
def test_cadences(text: str, every: timedelta) -> None:
    parsed = parse_cadence(text)
    assert parsed.every == every
    assert parsed.text == text


@pytest.mark.parametrize("text", ["Every 0 minutes", "Sometimes", "15 minutes", "Daily-ish"])
def test_cadence_rejects_other_text(text: str) -> None:
    with pytest.raises(SeverityTextError, match=r'^must be "Every <number> minutes\|hours\|days"'):
        parse_cadence(text)


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("VP of Engineering notified", ("vp_of_engineering",)),
        ("Engineering Manager notified", ("engineering_manager",)),
        ("Team lead notified", ("team_lead",)),
        ("None", ()),
        ("none", ()),
        ("Team lead and Engineering Manager notified", ("team_lead", "engineering_manager")),
        ("CTO, VP of Engineering & Support notified", ("cto", "vp_of_engineering", "support")),
    ],
)
def test_escalation_audiences(text: str, roles: tuple[str, ...]) -> None:
    parsed = parse_escalation(text)
    assert parsed.roles == roles
    assert parsed.text == text


@pytest.mark.parametrize("text", ["Call the VP", "notified", "", "VP of Engineering"])
def test_escalation_rejects_other_text(text: str) -> None:
    with pytest.raises(SeverityTextError) as raised:
        parse_escalation(text)
    assert str(raised.value) == (
        'must be "<audience> notified" (e.g. "VP of Engineering notified", '
        f'"Team lead and Engineering Manager notified") or "None", got {text!r}'
    )


def test_role_names_are_snake_case() -> None:
    assert role_name("VP of Engineering") == "vp_of_engineering"
    assert role_name(" Site-Reliability  lead ") == "site_reliability_lead"


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from(["minute", "hour", "day"]))
def test_any_count_of_any_unit_parses(count: int, unit: str) -> None:
    spans = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    text = f"{count} {unit}{'s' if count != 1 else ''}"
    assert parse_response_time(text).within == spans[unit] * count
    assert parse_cadence(f"Every {text}").every == spans[unit] * count


def _level(label: str, rank: int) -> SeverityLevel:
    return SeverityLevel(
        level=label,
        name=label,
        rank=rank,
        description="",
        response_time=parse_response_time("5 minutes"),
        communication=parse_cadence("Daily update"),
        escalation=parse_escalation("None"),
    )


def test_scale_orders_by_rank_most_severe_first() -> None:
    scale = SeverityScale([_level("SEV-3", 2), _level("SEV-1", 0), _level("SEV-2", 1)])
    assert [level.level for level in scale] == ["SEV-1", "SEV-2", "SEV-3"]
    assert scale.most_severe.level == "SEV-1"
    assert scale.least_severe.level == "SEV-3"
    assert scale[1].level == "SEV-2"
    assert len(scale) == 3
    assert scale[0].is_more_severe_than(scale[2])
    assert not scale[2].is_more_severe_than(scale[0])


def test_scale_finds_levels_by_any_spelling() -> None:
    scale = SeverityScale([_level("SEV-1", 0), _level("SEV-2", 1)])
    for spelling in ("SEV-1", "SEV1", "sev 1", "sev_1"):
        found = scale.get(spelling)
        assert found is not None
        assert found.level == "SEV-1"
    assert scale.get("SEV-9") is None
    assert level_key("Sev-2") == "SEV2"


def test_scale_rejects_two_spellings_of_one_level() -> None:
    with pytest.raises(ValueError, match="distinct"):
        SeverityScale([_level("SEV-1", 0), _level("SEV1", 1)])


def test_default_scale_is_the_seeds_four_levels_most_severe_first() -> None:
    assert [level.level for level in DEFAULT_SCALE] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert [level.rank for level in DEFAULT_SCALE] == [0, 1, 2, 3]
    critical = DEFAULT_SCALE.most_severe
    assert critical.name == "Critical"
    assert critical.response_time.within == timedelta(minutes=5)
    assert critical.communication.every == timedelta(minutes=15)
    assert critical.escalation.roles == ("vp_of_engineering",)
    low = DEFAULT_SCALE.least_severe
    assert low.response_time.within is NEXT_BUSINESS_DAY
    assert low.communication.every == timedelta(days=1)
    assert low.escalation.roles == ()
