"""Pure alert logic: lifecycle, grouping, routing, auto-incidents, flapping, suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain import grouping, routing
from tocsin.domain.alert_lifecycle import (
    MAX_DEDUP_KEY,
    Action,
    AlertStatus,
    Change,
    Severity,
    dedup_key,
    instant,
    parse_severity,
    transition,
)
from tocsin.domain.flapping import FlappingPolicy, is_flapping
from tocsin.domain.matchers import parse_all
from tocsin.domain.silences import (
    MaintenanceWindow,
    Silence,
    SuppressionKind,
    suppression,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
labels = st.dictionaries(
    st.sampled_from(["alertname", "cluster", "pod", "team"]), st.text(max_size=5)
)


def test_transitions() -> None:
    assert transition(None, Action.TRIGGER) is Change.OPEN
    assert transition(AlertStatus.RESOLVED, Action.TRIGGER) is Change.OPEN
    assert transition(AlertStatus.TRIGGERED, Action.TRIGGER) is Change.REPEAT
    assert transition(AlertStatus.ACKNOWLEDGED, Action.TRIGGER) is Change.REPEAT
    assert transition(AlertStatus.TRIGGERED, Action.ACKNOWLEDGE) is Change.ACKNOWLEDGE
    assert transition(AlertStatus.ACKNOWLEDGED, Action.ACKNOWLEDGE) is Change.NOTHING
    assert transition(AlertStatus.ACKNOWLEDGED, Action.RESOLVE) is Change.RESOLVE
    assert transition(None, Action.RESOLVE) is Change.NOTHING
    assert transition(AlertStatus.RESOLVED, Action.ACKNOWLEDGE) is Change.NOTHING


def test_severity_words_and_timestamps() -> None:
    assert parse_severity("CRIT") is Severity.CRITICAL
    assert parse_severity("P2") is Severity.ERROR
    assert parse_severity("warn") is Severity.WARNING
    assert parse_severity("informational") is Severity.INFO
    assert parse_severity("whatever") is Severity.ERROR
    assert parse_severity(None) is Severity.ERROR
    assert instant(datetime(2026, 1, 5, 9, 0)) == NOW
    assert instant(None) is None
    west_of_utc = timezone(timedelta(hours=-5))
    assert instant(datetime(9999, 12, 31, 23, 0, tzinfo=west_of_utc)) is None


@given(st.text(max_size=600))
def test_dedup_keys_fit_the_index_and_stay_distinct(raw: str) -> None:
    key = dedup_key(raw)
    assert len(key) <= MAX_DEDUP_KEY
    assert key == raw or len(raw) > MAX_DEDUP_KEY
    assert dedup_key(raw + "x") != key


@given(labels, labels)
def test_alerts_share_a_group_exactly_when_grouping_labels_agree(
    first: dict[str, str], second: dict[str, str]
) -> None:
    policy = grouping.GroupingPolicy(("alertname", "cluster"))
    same = all(first.get(n, "") == second.get(n, "") for n in ("alertname", "cluster"))
    assert (
        grouping.group_key(first, policy, "a") == grouping.group_key(second, policy, "b")
    ) == same


@given(labels, labels)
def test_each_alert_policy_never_shares_and_empty_policy_always_shares(
    first: dict[str, str], second: dict[str, str]
) -> None:
    each = grouping.GroupingPolicy((grouping.EACH_ALERT,))
    assert grouping.group_key(first, each, "a") != grouping.group_key(second, each, "b")
    whole = grouping.GroupingPolicy(())
    assert grouping.group_key(first, whole, "a") == grouping.group_key(second, whole, "b")


def test_window_and_outcomes() -> None:
    window = timedelta(minutes=5)
    assert grouping.joins(NOW, NOW + timedelta(minutes=4, seconds=59), window)
    assert not grouping.joins(NOW, NOW + window, window)
    assert grouping.outcome(became_incident=True, acknowledged=True) is grouping.Outcome.INCIDENT
    assert (
        grouping.outcome(became_incident=False, acknowledged=True) is grouping.Outcome.ACKNOWLEDGED
    )
    assert grouping.outcome(became_incident=False, acknowledged=False) is grouping.Outcome.NOISE
    rows = [
        grouping.AccuracyRow("s", "quiet", 4, 2, 2, 0),
        grouping.AccuracyRow("s", "noisy", 10, 0, 1, 9),
        grouping.AccuracyRow("s", "half", 4, 0, 2, 2),
    ]
    assert [row.rule for row in grouping.rank_noisy(rows)] == ["noisy", "half", "quiet"]


def test_routing_first_match_wins_with_defaults() -> None:
    rules = [
        routing.RoutingRule("db", parse_all(['team="db"']), service="database", urgency=None),
        routing.RoutingRule(
            "all-critical",
            parse_all(['__severity__="critical"']),
            escalation_policy="managers",
            incident_severity="SEV-1",
        ),
    ]
    match = routing.match_labels(
        {"team": "db"}, service="checkout", integration="am", severity=Severity.WARNING, source="x"
    )
    db = routing.route(rules, match, service="checkout", severity=Severity.WARNING)
    assert (db.service, db.urgency, db.escalation_policy, db.rule) == (
        "database",
        routing.Urgency.LOW,
        None,
        "db",
    )
    critical = routing.match_labels(
        {}, service="checkout", integration="am", severity=Severity.CRITICAL, source="x"
    )
    chosen = routing.route(rules, critical, service="checkout", severity=Severity.CRITICAL)
    assert (chosen.service, chosen.escalation_policy, chosen.incident_severity) == (
        "checkout",
        "managers",
        "SEV-1",
    )
    nothing = routing.route([], {}, service="s", severity=Severity.ERROR)
    assert (nothing.rule, nothing.urgency) == (None, routing.Urgency.HIGH)


def test_incident_severity_rules() -> None:
    rules = [
        routing.AutoIncidentRule("quiet", routing.NO_INCIDENT, parse_all(['env="staging"'])),
        routing.AutoIncidentRule("crit", "SEV-1", severities=frozenset({Severity.CRITICAL})),
    ]

    def decide(
        chosen: list[routing.AutoIncidentRule], env: str, severity: Severity, routed: str | None
    ) -> str | None:
        return routing.incident_severity(
            chosen, {"env": env}, severity, routed=routed, default_level="SEV-2"
        )

    assert decide(rules, "prod", Severity.CRITICAL, None) == "SEV-1"
    assert decide(rules, "staging", Severity.CRITICAL, None) is None
    assert decide(rules, "prod", Severity.ERROR, None) is None
    assert decide(rules, "staging", Severity.INFO, "SEV-3") == "SEV-3"
    assert decide([], "prod", Severity.CRITICAL, None) == "SEV-2"
    assert decide([], "prod", Severity.ERROR, None) is None
    assert decide([], "prod", Severity.CRITICAL, routing.NO_INCIDENT) is None


@given(st.lists(st.integers(min_value=0, max_value=180), max_size=8))
def test_flapping_counts_openings_inside_the_window(minutes_ago: list[int]) -> None:
    policy = FlappingPolicy(cycles=4, window=timedelta(hours=1))
    earlier = [NOW - timedelta(minutes=m) for m in minutes_ago]
    inside = sum(1 for m in minutes_ago if m < 60)
    assert is_flapping(earlier, NOW, policy) == (inside + 1 >= 4)


def test_suppression_prefers_the_longest_and_respects_services() -> None:
    short = Silence(
        1, parse_all(['alertname="X"']), NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    )
    long = Silence(2, parse_all(["pod=~.+"]), NOW, NOW + timedelta(hours=3))
    future = Silence(3, (), NOW + timedelta(hours=1), NOW + timedelta(hours=9))
    window = MaintenanceWindow("upgrade", frozenset({"db"}), NOW, NOW + timedelta(hours=2))
    found = suppression([short, long, future], [window], {"alertname": "X", "pod": "p"}, "web", NOW)
    assert found is not None
    assert (found.kind, found.reference, found.until) == (
        SuppressionKind.SILENCE,
        "2",
        NOW + timedelta(hours=3),
    )
    maintenance = suppression([], [window], {}, "db", NOW)
    assert maintenance is not None and str(maintenance) == "maintenance upgrade"
    assert suppression([short], [window], {"alertname": "Y"}, "web", NOW) is None
    assert suppression([], [window], {}, "db", NOW + timedelta(hours=2)) is None
