"""The paging kinds of configuration: who is paged for what, and how.

=====================  ====================  ==========================================
YAML key               definition kind       one object is
=====================  ====================  ==========================================
escalation_policies    escalation_policy     ordered steps of targets to page
paging                 paging                organisation-wide settings (one file)
notification_rules     notification_rules    how one person wants to be notified
=====================  ====================  ==========================================

Which policy pages for a service is paging's rule (:func:`escalation_policy_of`);
teams and services themselves are named by every capability, so they are
configuration's own (:mod:`tocsin.config.organisation`). Schedules
(:mod:`tocsin.oncall`) derive policies from their ``escalation`` section.

.. code-block:: yaml

    paging:
      acknowledgement_timeout_minutes: 30
      low_urgency_escalates: false
      default_escalation_policy: ops-catch-all
      stakeholders:
        vp_of_engineering: [vera]
      rate_limits:
        sms: {count: 3, window_minutes: 15}

    notification_rules:
      alice:
        high_urgency:
          - {method: push}
          - {method: sms, after_minutes: 2}
          - {method: voice, after_minutes: 5}
        low_urgency:
          - {method: email}
        quiet_hours: {start: "22:00", end: "07:00"}
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from pydantic import Field, field_validator
from pydantic import model_validator as model_check

from tocsin.config.catalog import Kind
from tocsin.config.fields import NonNegativeInteger, ObjectName, PositiveInteger, Spec, UserName
from tocsin.config.organisation import ServiceConfig, TeamConfig
from tocsin.config.users import ContactType, TimeOfDay
from tocsin.domain.bundling import RateLimit
from tocsin.domain.notification_rules import QuietHours, Rule, UserRules

ESCALATION_POLICY = "escalation_policy"
PAGING = "paging"
NOTIFICATION_RULES = "notification_rules"
#: The name of the single ``paging`` definition.
PAGING_NAME = "paging"


class TargetConfig(Spec):
    """Who one escalation step pages.

    Exactly one of: ``user``; ``schedule`` (optionally one ``layer``, else
    every layer on call); ``team`` (optionally one team ``role``, else every
    member); or ``role`` alone, meaning that role in the team that owns the
    service whose alert is escalating.
    """

    user: UserName | None = None
    schedule: ObjectName | None = None
    layer: ObjectName | None = None
    team: ObjectName | None = None
    role: ObjectName | None = None

    @model_check(mode="after")
    def _one_target(self) -> TargetConfig:
        chosen = [key for key in ("user", "schedule", "team") if getattr(self, key) is not None]
        if len(chosen) > 1 or (not chosen and self.role is None):
            raise ValueError(
                "needs exactly one of user, schedule (with optional layer), "
                "team (with optional role), or role alone"
            )
        if self.layer is not None and self.schedule is None:
            raise ValueError("layer is only allowed with schedule")
        if self.role is not None and chosen and chosen != ["team"]:
            raise ValueError("role is only allowed with team or on its own")
        return self


class StepConfig(Spec):
    targets: list[TargetConfig] = Field(min_length=1)
    timeout_minutes: PositiveInteger


class EscalationPolicyConfig(Spec):
    """Ordered steps; the whole list runs ``repeat`` more times if nobody acknowledges."""

    description: str = ""
    steps: list[StepConfig] = Field(min_length=1)
    repeat: NonNegativeInteger = 0


def escalation_policy_of(
    service: ServiceConfig, team: TeamConfig | None, default: str | None
) -> str | None:
    """The policy that pages for ``service`` (``team`` is its team, if defined).

    A service's own ``escalation_policy``; else its team's; else the
    ``paging.default_escalation_policy``; else none (its pages reach nobody).
    Alert groups freeze this when they open, formal incident declaration pages
    it, and configuration validation warns when it is missing: one rule, used
    by every part of Tocsin.
    """
    if service.escalation_policy is not None:
        return service.escalation_policy
    if team is not None and team.escalation_policy is not None:
        return team.escalation_policy
    return default


class NotificationRuleConfig(Spec):
    """Notify every contact method of type ``method``, ``after_minutes`` after the page."""

    method: ContactType
    after_minutes: NonNegativeInteger = 0

    def to_rule(self) -> Rule:
        return Rule(self.method, timedelta(minutes=self.after_minutes))


class QuietHoursConfig(Spec):
    """Low urgency notifications wait for the end of these hours (the person's time zone)."""

    start: TimeOfDay
    end: TimeOfDay

    @field_validator("end")
    @classmethod
    def _not_empty(cls, end: str, info: Any) -> str:
        if info.data.get("start") == end:
            raise ValueError("must differ from start")
        return end


class NotificationRulesConfig(Spec):
    """One person's rules; an empty list means the defaults (see docs/paging.md)."""

    high_urgency: list[NotificationRuleConfig] = Field(default_factory=list)
    low_urgency: list[NotificationRuleConfig] = Field(default_factory=list)
    quiet_hours: QuietHoursConfig | None = None

    def to_rules(self, time_zone: str) -> UserRules:
        quiet = self.quiet_hours
        return UserRules(
            high=tuple(rule.to_rule() for rule in self.high_urgency),
            low=tuple(rule.to_rule() for rule in self.low_urgency),
            quiet_hours=QuietHours(_clock(quiet.start), _clock(quiet.end), time_zone)
            if quiet
            else None,
        )


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class RateLimitConfig(Spec):
    count: PositiveInteger
    window_minutes: PositiveInteger

    def to_limit(self) -> RateLimit:
        return RateLimit(self.count, timedelta(minutes=self.window_minutes))


class PagingConfig(Spec):
    """Organisation-wide paging settings (the top-level ``paging:`` key, one file only)."""

    #: An acknowledged, unresolved escalation starts again after this long; None: never.
    acknowledgement_timeout_minutes: PositiveInteger | None = None
    #: Whether low urgency pages escalate past the first step that reached somebody.
    low_urgency_escalates: bool = False
    #: People told when an incident reaches a level whose escalation names their role.
    stakeholders: dict[ObjectName, list[UserName]] = Field(default_factory=dict)
    rate_limits: dict[ContactType, RateLimitConfig] = Field(default_factory=dict)
    #: How long an acknowledge link in a message stays valid.
    ack_link_hours: PositiveInteger = 24
    #: The policy of a service that names none and whose team names none.
    default_escalation_policy: ObjectName | None = None

    def limits(self) -> dict[str, RateLimit]:
        return {method: limit.to_limit() for method, limit in self.rate_limits.items()}


ESCALATION_POLICY_KIND: Kind[EscalationPolicyConfig] = Kind(
    ESCALATION_POLICY, "escalation policy", "escalation policies"
)
PAGING_KIND: Kind[PagingConfig] = Kind(PAGING, "paging", "paging")
NOTIFICATION_RULES_KIND: Kind[NotificationRulesConfig] = Kind(
    NOTIFICATION_RULES, "notification rules", "notification rules"
)
