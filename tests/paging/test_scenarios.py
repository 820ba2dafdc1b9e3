"""Time-travel scenarios in-process: fake clock, real SMTP server and HTTP sink, exact messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paging.conftest import SEEDS, configure, people_yaml
from tests.paging.harness import Harness
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.domain.escalation import Urgency
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def harness(
    tocsin: Tocsin, clock: FakeClock, sink: HttpSink, smtp: SmtpSink, tmp_path: Path
) -> Iterator[Harness]:
    configure(tocsin, tmp_path / "config", {"people.yaml": people_yaml(sink)})
    yield Harness(tocsin, clock, sink, smtp)


def test_seed_chain_end_to_end(harness: Harness) -> None:
    primary, secondary = harness.on_call("primary"), harness.on_call("secondary")
    run_id = harness.start()
    assert harness.received() == {primary: 1}
    harness.advance(minutes=4)
    assert harness.received() == {primary: 1}
    harness.advance(minutes=1)
    assert harness.received() == {primary: 1, secondary: 1}
    harness.advance(minutes=5)
    assert harness.received() == {primary: 1, secondary: 1, "lead": 1}
    harness.advance(minutes=30)
    assert harness.received() == {primary: 1, secondary: 1, "lead": 1}
    assert harness.events(run_id).count("nobody") == 1
    assert harness.smtp.to("root@example.com") == []


@pytest.mark.parametrize("ack_minute", [1, 6, 11])
def test_acknowledging_at_each_step_stops_the_next(harness: Harness, ack_minute: int) -> None:
    primary, secondary = harness.on_call("primary"), harness.on_call("secondary")
    run_id = harness.start()
    harness.advance(minutes=ack_minute)
    harness.acknowledge(run_id, "someone")
    harness.advance(minutes=60)
    expected = [(primary, 1), (secondary, 1), ("lead", 1)][: (ack_minute + 4) // 5]
    assert harness.received() == dict(expected)
    assert harness.run(run_id).state == "acknowledged"


def test_resolving_mid_escalation_stops_everything(harness: Harness) -> None:
    primary = harness.on_call("primary")
    run_id = harness.start()
    harness.advance(minutes=3)
    harness.resolve(run_id)
    harness.advance(minutes=60)
    assert harness.received() == {primary: 1}
    assert harness.events(run_id)[-1] == "resolved"


def test_repeat_runs_the_policy_again(harness: Harness) -> None:
    harness.start(policy="b-thrice", service=None)
    harness.advance(minutes=4)
    assert harness.received() == {"engineer-b": 1}
    harness.advance(minutes=30)
    assert harness.received() == {"engineer-b": 3}


def test_a_step_with_nobody_moves_straight_on_and_says_why(harness: Harness) -> None:
    run_id = harness.start(policy="gap-then-b", service=None)
    assert harness.received() == {"engineer-b": 1}
    detail = harness.event_texts(run_id)
    assert any("nobody on call in layer noon of schedule lunch" in t for t in detail)


def test_an_escalation_that_reaches_nobody_alarms_the_admins(harness: Harness) -> None:
    harness.start(policy="nobody", service=None)
    harness.advance(minutes=10)
    assert harness.received() == {}
    (alarm,) = harness.smtp.to("root@example.com")
    assert "reached nobody" in alarm.subject


def test_an_override_made_during_the_escalation_counts(harness: Harness) -> None:
    primary, secondary = harness.on_call("primary"), harness.on_call("secondary")
    stand_in = next(p for p in ("engineer-a", "engineer-b", "engineer-c") if p != secondary)
    harness.start()
    harness.advance(minutes=2)
    harness.override("secondary", stand_in, hours=2)
    harness.advance(minutes=3)
    expected = {primary: 1}
    expected[stand_in] = expected.get(stand_in, 0) + 1
    assert harness.received() == expected


EXTRA_RULES = """
notification_rules:
  lead:
    low_urgency: [{method: webhook}]
    quiet_hours: {start: "08:00", end: "10:00"}
paging:
  acknowledgement_timeout_minutes: 30
  rate_limits:
    webhook: {count: 3, window_minutes: 15}
"""


@pytest.fixture
def tuned(harness: Harness, tmp_path: Path) -> Harness:
    """The harness with quiet hours for lead, an acknowledgement timeout and tight rate limits."""
    configure(
        harness.tocsin,
        tmp_path / "config",
        {"people.yaml": people_yaml(harness.sink), "paging.yaml": EXTRA_RULES},
    )
    return harness


def test_quiet_hours_hold_low_urgency_pages_until_they_end(tuned: Harness) -> None:
    tuned.start(policy="lead-only", service=None, urgency=Urgency.LOW)  # 09:00 UTC
    tuned.advance(minutes=59)
    assert tuned.received() == {}
    tuned.advance(minutes=1)
    assert tuned.received() == {"lead": 1}


def test_quiet_hours_do_not_hold_high_urgency(tuned: Harness) -> None:
    tuned.start(policy="lead-only", service=None)
    assert tuned.received() == {"lead": 1}


def test_a_storm_is_bundled_into_few_messages(tuned: Harness) -> None:
    ids = [
        tuned.start(key=f"storm-{n}", title=f"Disk {n} full", policy="b-only") for n in range(20)
    ]
    assert tuned.received() == {"engineer-b": 3}
    tuned.resolve(ids[5])
    tuned.advance(minutes=15)
    assert tuned.received() == {"engineer-b": 4}
    bundle = tuned.sink.received("/b")[-1].json()
    assert bundle["subject"] == "[Tocsin] 16 pages waiting"
    titles = sorted(page["title"] for page in bundle["pages"])
    assert titles == sorted(f"Disk {n} full" for n in range(3, 20) if n != 5)
    tuned.advance(minutes=60)
    assert tuned.received() == {"engineer-b": 4}


def test_an_acknowledged_page_re_triggers_after_the_timeout(tuned: Harness) -> None:
    run_id = tuned.start(policy="b-only", service=None)
    tuned.advance(minutes=1)
    tuned.acknowledge(run_id, "engineer-b")
    tuned.advance(minutes=29)
    assert tuned.received() == {"engineer-b": 1}
    tuned.advance(minutes=1)
    assert tuned.received() == {"engineer-b": 2}
    assert tuned.run(run_id).state == "active"
    assert "retriggered" in tuned.events(run_id)


def test_resolving_before_the_acknowledgement_timeout_prevents_the_re_trigger(
    tuned: Harness,
) -> None:
    run_id = tuned.start(policy="b-only", service=None)
    tuned.acknowledge(run_id, "engineer-b")
    tuned.advance(minutes=10)
    tuned.resolve(run_id)
    tuned.advance(minutes=60)
    assert tuned.received() == {"engineer-b": 1}


def test_provider_failure_retries_then_falls_back_to_the_next_method(harness: Harness) -> None:
    harness.sink.failing["/a"] = 503
    harness.start(policy="a-only", service=None)
    harness.advance(minutes=3)
    (email,) = harness.smtp.to("a@example.com")
    assert "Database down" in email.subject
    assert harness.received() == {"engineer-a": 1}
    (page,) = harness.pages()
    attempts = [(a["provider"], a["status"]) for n in page["notifications"] for a in n["attempts"]]
    assert attempts == [("webhook", "failed")] * 3 + [("smtp", "sent")]
    assert page["state"] == "open"


def test_a_permanent_failure_falls_back_at_once(harness: Harness) -> None:
    harness.sink.failing["/a"] = 410
    harness.start(policy="a-only", service=None)
    assert len(harness.smtp.to("a@example.com")) == 1


def test_when_every_method_fails_the_page_is_dead_and_admins_are_alarmed(
    harness: Harness,
) -> None:
    harness.sink.failing["/b"] = 410
    harness.start(policy="b-only", service=None)
    (page,) = harness.pages()
    assert page["state"] == "dead"
    assert "every contact method failed" in page["dead_reason"]
    (alarm,) = harness.smtp.to("root@example.com")
    assert "Dead page" in alarm.subject


def test_the_policy_is_frozen_when_the_escalation_starts(harness: Harness, tmp_path: Path) -> None:
    primary = harness.on_call("primary")
    run_id = harness.start()
    changed = people_yaml(harness.sink).replace("roles: {team_lead: lead}", "roles: {}")
    schedule = (SEEDS / "on-call-schedule.yaml").read_text()
    configure(
        harness.tocsin,
        tmp_path / "config",
        {
            "people.yaml": changed,
            "on-call-schedule.yaml": schedule.replace("timeout_minutes: 5", "timeout_minutes: 1"),
        },
    )
    harness.advance(minutes=4)
    assert harness.received() == {primary: 1}
    assert harness.run(run_id).policy["steps"][0]["timeout_seconds"] == 300


def test_the_acknowledge_link_in_a_message_stops_the_escalation(harness: Harness) -> None:
    primary = harness.on_call("primary")
    run_id = harness.start()
    link = harness.last_message_link(primary)
    assert harness.ack_link(link) == 200
    assert harness.ack_link(link) == 404
    harness.advance(minutes=30)
    assert harness.received() == {primary: 1}
    assert harness.run(run_id).acknowledged_by == primary
