"""Per-person notification rules: which contact method, how long after being paged.

A rule such as "immediately by push, after 2 minutes by SMS, after 5 minutes
by voice" is three :class:`Rule` values. A person has one list for high
urgency pages and one for low urgency pages. Without rules, high urgency
notifies every contact method at once and low urgency the first one only.

Quiet hours (in the person's time zone, possibly across midnight) hold low
urgency notifications until they end; high urgency always goes through.
Notifications are planned when the page is created; each one is dropped when
it comes due if the page was acknowledged meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.escalation import Urgency
from tocsin.domain.rotation import wall_to_utc

_SHOWN = 4


@dataclass(frozen=True)
class ContactMethod:
    """One way to reach a person; ``index`` is its position in their list (the fallback order)."""

    index: int
    type: str
    target: str

    def describe(self) -> str:
        """The method with its address shortened, safe for logs and listings."""
        return f"{self.type} {redact(self.target)}"


def redact(target: str) -> str:
    """An address or URL with everything secret hidden: "sms +15…67", "https://hooks.slack.com/…"."""
    if "://" in target:
        scheme, _, rest = target.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
        return f"{scheme}://{host}/…" if host else f"{scheme}://…"
    if "@" in target:
        local, _, domain = target.partition("@")
        return f"{local[:1]}…@{domain}"
    if len(target) <= _SHOWN:
        return "…"
    return f"{target[:3]}…{target[-2:]}"


@dataclass(frozen=True)
class Rule:
    """Notify on every contact method of type ``method``, ``after`` the page was created."""

    method: str
    after: timedelta = timedelta(0)


@dataclass(frozen=True)
class QuietHours:
    """[start, end) in local time of ``time_zone``; start after end means across midnight."""

    start: time
    end: time
    time_zone: str = "UTC"

    def until(self, instant: datetime) -> datetime | None:
        """When the quiet hours around ``instant`` end, or None when ``instant`` is not in them."""
        zone = ZoneInfo(self.time_zone)
        local = instant.astimezone(zone)
        clock = local.time().replace(tzinfo=None)
        day = local.date()
        if self.start <= self.end:
            inside = self.start <= clock < self.end
            end_day = day
        else:
            inside = clock >= self.start or clock < self.end
            end_day = day + timedelta(days=1) if clock >= self.start else day
        if not inside:
            return None
        return wall_to_utc(datetime.combine(end_day, self.end), zone)


@dataclass(frozen=True)
class UserRules:
    high: tuple[Rule, ...] = ()
    low: tuple[Rule, ...] = ()
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True)
class PlannedNotification:
    method: ContactMethod
    at: datetime
    #: True when quiet hours moved it later than its rule said.
    held_for_quiet_hours: bool = False


def _default_rules(methods: Sequence[ContactMethod], urgency: Urgency) -> tuple[Rule, ...]:
    chosen = methods if urgency is Urgency.HIGH else methods[:1]
    return tuple(Rule(method.type) for method in chosen)


def _earliest(rules: Sequence[Rule], methods: Sequence[ContactMethod]) -> dict[int, timedelta]:
    """The delay of each contact method (by index) the rules pick."""
    earliest: dict[int, timedelta] = {}
    for rule in rules:
        for method in methods:
            if method.type == rule.method:
                earliest[method.index] = min(earliest.get(method.index, rule.after), rule.after)
    return earliest


def plan_notifications(
    rules: UserRules | None,
    methods: Sequence[ContactMethod],
    urgency: Urgency,
    paged_at: datetime,
) -> list[PlannedNotification]:
    """Each (contact method, instant) a page to this person notifies, earliest first.

    A rule naming a type the person has no contact method of is skipped; a
    contact method several rules name is notified at the earliest of them.
    When no rule matches any of the person's methods, the defaults apply: a
    page must never go nowhere because rules and methods drifted apart.
    """
    chosen = (rules.high if urgency is Urgency.HIGH else rules.low) if rules else ()
    earliest = _earliest(chosen, methods) or _earliest(_default_rules(methods, urgency), methods)
    quiet = rules.quiet_hours if rules and urgency is Urgency.LOW else None
    planned = []
    for method in methods:
        if method.index not in earliest:
            continue
        at = paged_at + earliest[method.index]
        held_until = quiet.until(at) if quiet else None
        planned.append(PlannedNotification(method, held_until or at, held_until is not None))
    planned.sort(key=lambda item: (item.at, item.method.index))
    return planned


def fallback(methods: Sequence[ContactMethod], tried: set[int]) -> ContactMethod | None:
    """The next contact method after a failed one: the first, in list order, not tried yet."""
    return next((method for method in methods if method.index not in tried), None)
