from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.classification import (
    Certainty,
    ClassificationError,
    ClassificationRules,
    Impact,
    Tier,
    classify,
    level_for_tier,
)

LEVELS = ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]


def level(**impact: object) -> str:
    return classify(Impact(**impact), LEVELS).level  # type: ignore[arg-type]


# The seeds' own examples.


def test_complete_outage_affecting_all_users_is_sev1() -> None:
    result = classify(Impact(users_affected=1.0, complete_outage=True, workaround=False), LEVELS)
    assert result.level == "SEV-1"
    assert result.reasons == (
        "users affected 100% ≥ 50% → SEV-1",
        "no effective workaround → stays SEV-1",
    )


def test_error_affecting_five_percent_of_users_is_sev2() -> None:
    result = classify(Impact(users_affected=0.05, workaround=False), LEVELS)
    assert result.level == "SEV-2"
    assert result.reasons == (
        "users affected 5% ≥ 1% → SEV-2",
        "no effective workaround → stays SEV-2",
    )


def test_five_percent_of_users_generating_half_the_revenue_is_sev1() -> None:
    result = classify(Impact(users_affected=0.05, revenue_share=0.5, workaround=False), LEVELS)
    assert result.level == "SEV-1"
    assert result.reasons == (
        "users affected 5% ≥ 1% → SEV-2",
        "affected users generate 50% of revenue ≥ 30% → raised to SEV-1",
        "no effective workaround → stays SEV-1",
    )


def test_degradation_with_effective_workaround_is_sev3_without_is_sev2() -> None:
    with_workaround = classify(Impact(users_affected=0.05, workaround=True), LEVELS)
    assert with_workaround.level == "SEV-3"
    assert with_workaround.reasons == (
        "users affected 5% ≥ 1% → SEV-2",
        "effective workaround exists → lowered to SEV-3",
    )
    assert level(users_affected=0.05, workaround=False) == "SEV-2"


def test_unknown_workaround_counts_as_none() -> None:
    result = classify(Impact(users_affected=0.05, workaround=None), LEVELS)
    assert result.level == "SEV-2"
    assert result.reasons[-1] == "workaround unknown → treated as none, stays SEV-2"


def test_uncertain_responder_gets_the_higher_level() -> None:
    result = classify(Impact(users_affected=0.05, workaround=False, certainty="uncertain"), LEVELS)
    assert result.level == "SEV-1"
    assert result.reasons[-1] == (
        "responder is uncertain → suggested the higher level SEV-1 (between SEV-2 and SEV-1)"
    )


def test_low_confidence_counts_as_uncertain() -> None:
    result = classify(Impact(users_affected=0.005, workaround=False, certainty=0.6), LEVELS)
    assert result.level == "SEV-2"
    assert result.reasons[-1] == (
        "responder confidence 60% < 80% → "
        "suggested the higher level SEV-2 (between SEV-3 and SEV-2)"
    )
    assert level(users_affected=0.005, workaround=False, certainty=0.8) == "SEV-3"


def test_uncertainty_at_the_top_stays_at_the_top() -> None:
    result = classify(Impact(users_affected=0.9, certainty="uncertain"), LEVELS)
    assert result.level == "SEV-1"
    assert result.reasons[-1] == "responder is uncertain; already the most severe level SEV-1"


@pytest.mark.parametrize("function", ["security_breach", "data_loss"])
def test_security_breach_and_data_loss_are_sev1_even_with_a_workaround(function: str) -> None:
    result = classify(Impact(business_functions=frozenset({function}), workaround=True), LEVELS)
    assert result.level == "SEV-1"
    assert result.reasons == (
        "users affected 0% < 0.1% → SEV-4",
        f"{function} affected → raised to SEV-1",
        f"effective workaround exists, but {function} affected → stays SEV-1",
    )


def test_payments_completely_broken_is_sev1() -> None:
    result = classify(
        Impact(
            users_affected=0.02,
            business_functions=frozenset({"Payments"}),
            complete_outage=True,
            workaround=False,
        ),
        LEVELS,
    )
    assert result.level == "SEV-1"
    assert result.reasons[1] == "payments completely down → raised to SEV-1"


def test_payments_degraded_is_at_least_sev2_and_a_workaround_lowers_it() -> None:
    impact = {"users_affected": 0.0005, "business_functions": frozenset({"payments"})}
    assert level(**impact, workaround=False) == "SEV-2"
    assert level(**impact, workaround=True) == "SEV-3"


def test_complete_outage_of_a_small_share_is_at_least_sev2() -> None:
    result = classify(Impact(users_affected=0.002, complete_outage=True, workaround=False), LEVELS)
    assert result.level == "SEV-2"
    assert result.reasons[:2] == (
        "users affected 0.2% ≥ 0.1% → SEV-3",
        "complete outage → raised to SEV-2",
    )


def test_tiny_impact_is_the_lowest_level() -> None:
    result = classify(Impact(users_affected=0.0002, workaround=False), LEVELS)
    assert result.level == "SEV-4"
    assert result.reasons[0] == "users affected 0.02% < 0.1% → SEV-4"


def test_workaround_at_the_lowest_level_stays() -> None:
    result = classify(Impact(users_affected=0.0, workaround=True), LEVELS)
    assert result.level == "SEV-4"
    assert result.reasons[-1] == "effective workaround exists; already the least severe level SEV-4"


def test_revenue_below_the_major_threshold_adds_nothing() -> None:
    result = classify(Impact(users_affected=0.005, revenue_share=0.01, workaround=False), LEVELS)
    assert result.level == "SEV-3"
    assert len(result.reasons) == 2


def test_revenue_between_thresholds_raises_to_the_second_tier() -> None:
    result = classify(Impact(users_affected=0.005, revenue_share=0.1, workaround=False), LEVELS)
    assert result.level == "SEV-2"
    assert result.reasons[1] == "affected users generate 10% of revenue ≥ 5% → raised to SEV-2"


# Thresholds from configuration.


def test_rules_from_dict_override_thresholds_and_keep_defaults() -> None:
    rules = ClassificationRules.from_dict(
        {"major_users_share": 0.1, "critical_functions": ["security_breach", "compliance"]}
    )
    assert rules.major_users_share == 0.1
    assert rules.critical_users_share == 0.5
    assert rules.critical_functions == frozenset({"security_breach", "compliance"})
    assert classify(Impact(users_affected=0.05, workaround=False), LEVELS, rules).level == "SEV-3"
    compliance = Impact(business_functions=frozenset({"compliance"}))
    assert classify(compliance, LEVELS, rules).level == "SEV-1"
    assert classify(Impact(business_functions=frozenset({"data_loss"})), LEVELS, rules).level == (
        "SEV-4"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"major_user_share": 0.1}, "major_user_share: unknown setting"),
        ({"major_users_share": "10%"}, "major_users_share: expected a number between 0 and 1"),
        ({"major_users_share": True}, "major_users_share: expected a number"),
        ({"minor_users_share": 1.5}, "minor_users_share: expected a share between 0 and 1"),
        ({"minor_users_share": 0.2}, "major_users_share: user thresholds must satisfy"),
        ({"major_revenue_share": 0.4}, "major_revenue_share: revenue thresholds must satisfy"),
        ({"important_functions": "payments"}, "important_functions: expected a list"),
        ({"important_functions": [1]}, "important_functions: expected a list"),
    ],
)
def test_bad_rules_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ClassificationError, match=f"^{message}"):
        ClassificationRules.from_dict(data)


@pytest.mark.parametrize(
    ("impact", "field"),
    [
        ({"users_affected": 1.2}, "users_affected"),
        ({"users_affected": -0.1}, "users_affected"),
        ({"revenue_share": 2}, "revenue_share"),
        ({"certainty": "maybe"}, "certainty"),
        ({"certainty": 1.5}, "certainty"),
    ],
)
def test_bad_impact_names_the_field(impact: dict[str, object], field: str) -> None:
    with pytest.raises(ClassificationError) as raised:
        Impact(**impact)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_levels_must_be_present_and_unique() -> None:
    with pytest.raises(ClassificationError, match="levels"):
        classify(Impact(), [])
    with pytest.raises(ClassificationError, match="levels"):
        classify(Impact(), ["SEV-1", "SEV-1"])


# Any number of levels.


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["P1"], ["P1", "P1", "P1", "P1"]),
        (["high", "low"], ["high", "high", "low", "low"]),
        (["S1", "S2", "S3"], ["S1", "S2", "S2", "S3"]),
        (LEVELS, LEVELS),
        (["S0", "S1", "S2", "S3", "S4"], ["S0", "S1", "S3", "S4"]),
        (["A", "B", "C", "D", "E", "F"], ["A", "C", "D", "F"]),
    ],
)
def test_tiers_map_onto_levels_by_position(levels: list[str], expected: list[str]) -> None:
    assert [level_for_tier(tier, levels) for tier in Tier] == expected


def test_three_levels() -> None:
    three = ["critical", "major", "minor"]
    assert classify(Impact(users_affected=1.0), three).level == "critical"
    assert classify(Impact(users_affected=0.05), three).level == "major"
    assert classify(Impact(users_affected=0.005), three).level == "major"
    assert classify(Impact(users_affected=0.005, workaround=True), three).level == "minor"
    assert classify(Impact(users_affected=0.0001), three).level == "minor"


def test_five_levels_move_one_level_at_a_time() -> None:
    five = ["SEV-0", "SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert classify(Impact(users_affected=0.05), five).level == "SEV-1"
    result = classify(Impact(users_affected=0.05, workaround=True), five)
    assert result.level == "SEV-2"
    assert result.reasons[-1] == "effective workaround exists → lowered to SEV-2"
    assert classify(Impact(users_affected=0.005, certainty="uncertain"), five).level == "SEV-2"


# Properties.

level_lists = st.integers(min_value=1, max_value=7).map(lambda n: [f"L{i}" for i in range(n)])
shares = st.floats(min_value=0, max_value=1, allow_nan=False)
certainties: st.SearchStrategy[Certainty] = st.one_of(
    st.sampled_from(["certain", "uncertain"]), shares
)
impacts = st.builds(
    Impact,
    users_affected=shares,
    revenue_share=st.none() | shares,
    business_functions=st.frozensets(
        st.sampled_from(["payments", "authentication", "data_loss", "security_breach", "search"])
    ),
    complete_outage=st.booleans(),
    workaround=st.none() | st.booleans(),
    certainty=certainties,
)


def rank(impact: Impact, levels: list[str]) -> int:
    """Position of the suggestion; smaller is more severe."""
    return levels.index(classify(impact, levels).level)


@given(impact=impacts, levels=level_lists)
def test_result_is_a_configured_level_with_reasons(impact: Impact, levels: list[str]) -> None:
    result = classify(impact, levels)
    assert result.level in levels
    assert result.reasons
    assert all(reason.strip() for reason in result.reasons)


@given(impact=impacts, more=shares, levels=level_lists)
def test_more_users_never_less_severe(impact: Impact, more: float, levels: list[str]) -> None:
    wider = replace(impact, users_affected=max(impact.users_affected, more))
    assert rank(wider, levels) <= rank(impact, levels)


@given(impact=impacts, levels=level_lists)
def test_removing_a_workaround_never_lowers_severity(impact: Impact, levels: list[str]) -> None:
    with_workaround = replace(impact, workaround=True)
    for without in (False, None):
        other = replace(impact, workaround=without)
        assert rank(other, levels) <= rank(with_workaround, levels)


@given(impact=impacts, levels=level_lists)
def test_uncertainty_never_lowers_severity(impact: Impact, levels: list[str]) -> None:
    certain = replace(impact, certainty="certain")
    uncertain = replace(impact, certainty="uncertain")
    assert rank(uncertain, levels) <= rank(certain, levels)
    assert rank(impact, levels) <= rank(certain, levels)
