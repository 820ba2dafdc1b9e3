"""Notification rules: delays per method, urgency, quiet hours across midnight and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tocsin.domain.escalation import Urgency
from tocsin.domain.notification_rules import (
    ContactMethod,
    PlannedNotification,
    QuietHours,
    Rule,
    UserRules,
    fallback,
    plan_notifications,
    redact,
)

T0 = datetime(2026, 2, 16, 14, 0, tzinfo=UTC)
PUSH = ContactMethod(0, "push", "device-1")
SMS = ContactMethod(1, "sms", "+15551234567")
VOICE = ContactMethod(2, "voice", "+15551234567")
EMAIL = ContactMethod(3, "email", "ana@example.com")
METHODS = (PUSH, SMS, VOICE, EMAIL)
RULES = UserRules(
    high=(Rule("push"), Rule("sms", timedelta(minutes=2)), Rule("voice", timedelta(minutes=5))),
    low=(Rule("email"),),
    quiet_hours=QuietHours(time(22, 0), time(7, 0), "Europe/Berlin"),
)


def minutes(planned: list[PlannedNotification], start: datetime = T0) -> list[tuple[str, int]]:
    return [(p.method.type, int((p.at - start).total_seconds() // 60)) for p in planned]


def test_push_now_sms_after_two_minutes_voice_after_five() -> None:
    planned = plan_notifications(RULES, METHODS, Urgency.HIGH, T0)
    assert minutes(planned) == [("push", 0), ("sms", 2), ("voice", 5)]


def test_low_urgency_uses_its_own_rules() -> None:
    assert minutes(plan_notifications(RULES, METHODS, Urgency.LOW, T0)) == [("email", 0)]


def test_without_rules_high_urgency_notifies_every_method_and_low_the_first() -> None:
    assert len(plan_notifications(None, METHODS, Urgency.HIGH, T0)) == 4
    assert minutes(plan_notifications(None, METHODS, Urgency.LOW, T0)) == [("push", 0)]


def test_rules_for_methods_the_person_lacks_are_skipped() -> None:
    assert minutes(plan_notifications(RULES, (PUSH, EMAIL), Urgency.HIGH, T0)) == [("push", 0)]


def test_rules_matching_no_method_fall_back_to_the_defaults() -> None:
    assert minutes(plan_notifications(RULES, (EMAIL,), Urgency.HIGH, T0)) == [("email", 0)]


def test_quiet_hours_hold_low_urgency_until_morning_in_the_persons_zone() -> None:
    night = datetime(2026, 2, 16, 23, 30, tzinfo=UTC)  # 00:30 in Berlin
    (planned,) = plan_notifications(RULES, METHODS, Urgency.LOW, night)
    assert planned.held_for_quiet_hours
    assert planned.at == datetime(2026, 2, 17, 6, 0, tzinfo=UTC)  # 07:00 Berlin


def test_quiet_hours_never_hold_high_urgency() -> None:
    night = datetime(2026, 2, 16, 23, 30, tzinfo=UTC)
    planned = plan_notifications(RULES, METHODS, Urgency.HIGH, night)
    assert planned[0].at == night and not planned[0].held_for_quiet_hours


def test_quiet_hours_before_midnight_end_next_morning() -> None:
    evening = datetime(2026, 2, 16, 21, 30, tzinfo=UTC)  # 22:30 Berlin
    assert RULES.quiet_hours is not None
    assert RULES.quiet_hours.until(evening) == datetime(2026, 2, 17, 6, 0, tzinfo=UTC)
    assert RULES.quiet_hours.until(T0) is None


def test_quiet_hours_end_across_a_dst_change() -> None:
    quiet = QuietHours(time(1, 0), time(4, 0), "Europe/Berlin")
    # 2026-03-29: clocks go from 02:00 to 03:00 in Berlin; 04:00 CEST is 02:00 UTC.
    assert quiet.until(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == datetime(
        2026, 3, 29, 2, 0, tzinfo=UTC
    )


def test_daytime_quiet_hours() -> None:
    quiet = QuietHours(time(12, 0), time(13, 0), "UTC")
    assert quiet.until(datetime(2026, 1, 1, 12, 30, tzinfo=UTC)) == datetime(
        2026, 1, 1, 13, 0, tzinfo=UTC
    )
    assert quiet.until(datetime(2026, 1, 1, 13, 0, tzinfo=UTC)) is None


def test_fallback_takes_the_next_untried_method_in_order() -> None:
    assert fallback(METHODS, {0}) == SMS
    assert fallback(METHODS, {0, 1, 2}) == EMAIL
    assert fallback(METHODS, {0, 1, 2, 3}) is None


def test_redaction_hides_secrets() -> None:
    assert redact("https://hooks.slack.com/services/T000/B000/XXXX") == "https://hooks.slack.com/…"
    assert redact("tgram://123456:ABCDEF@/987") == "tgram://…"
    assert redact("ana@example.com") == "a…@example.com"
    assert "1234" not in redact("+15551234567")
