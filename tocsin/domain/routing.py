"""Routing: which service an alert goes to, who is paged, how urgently, and is it an incident.

Each integration belongs to a service. Routing rules, tried in order, can send
an alert elsewhere by its labels; the first rule that matches decides and
any field it leaves out keeps its default: the integration's service, that
service's escalation policy, an urgency from the alert's severity (critical
and error page with high urgency, warning and info with low, as PagerDuty's
dynamic notifications do) and no incident severity of its own.

Rules and silences match labels plus four pseudo-labels Tocsin adds, named
like Prometheus' internal labels so they never collide with real ones:
``__service__``, ``__integration__``, ``__severity__`` and ``__source__``
(the integration type: alertmanager, pagerduty, ...).

Auto-incident rules then decide whether the alert's group becomes an incident:
the first matching rule names an incident severity (or ``none``); without
rules, critical alerts declare an incident at the default level (the second
most severe configured level: SEV-2 with the seeds' scale).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tocsin.domain.alert_lifecycle import Severity
from tocsin.domain.matchers import Matcher, matches_all

#: An incident severity meaning "do not declare an incident".
NO_INCIDENT = "none"


class Urgency(StrEnum):
    HIGH = "high"
    LOW = "low"


def default_urgency(severity: Severity) -> Urgency:
    return Urgency.HIGH if severity in (Severity.CRITICAL, Severity.ERROR) else Urgency.LOW


def match_labels(
    labels: Mapping[str, str], *, service: str, integration: str, severity: Severity, source: str
) -> dict[str, str]:
    """The labels rules and silences match: the alert's own plus Tocsin's pseudo-labels."""
    return {
        **labels,
        "__service__": service,
        "__integration__": integration,
        "__severity__": severity.value,
        "__source__": source,
    }


@dataclass(frozen=True)
class RoutingRule:
    name: str
    matchers: tuple[Matcher, ...] = ()
    service: str | None = None
    escalation_policy: str | None = None
    urgency: Urgency | None = None
    incident_severity: str | None = None


@dataclass(frozen=True)
class Route:
    """Where an alert goes. ``escalation_policy`` None means the service's own."""

    service: str
    escalation_policy: str | None
    urgency: Urgency
    #: Set by a routing rule; None lets the auto-incident rules decide.
    incident_severity: str | None
    rule: str | None


def route(
    rules: Sequence[RoutingRule], labels: Mapping[str, str], *, service: str, severity: Severity
) -> Route:
    """The first matching rule's route, with defaults for what it leaves out."""
    for rule in rules:
        if matches_all(rule.matchers, labels):
            return Route(
                service=rule.service or service,
                escalation_policy=rule.escalation_policy,
                urgency=rule.urgency or default_urgency(severity),
                incident_severity=rule.incident_severity,
                rule=rule.name,
            )
    return Route(service, None, default_urgency(severity), None, None)


@dataclass(frozen=True)
class AutoIncidentRule:
    name: str
    #: Incident severity to declare, or :data:`NO_INCIDENT`.
    incident_severity: str
    matchers: tuple[Matcher, ...] = ()
    #: Alert severities the rule applies to; empty means any.
    severities: frozenset[Severity] = frozenset()


def incident_severity(
    rules: Sequence[AutoIncidentRule],
    labels: Mapping[str, str],
    severity: Severity,
    *,
    routed: str | None,
    default_level: str,
) -> str | None:
    """The incident severity to declare for an alert, or None for "only an alert group"."""
    chosen: str | None
    if routed is not None:
        chosen = routed
    elif rules:
        chosen = next(
            (
                rule.incident_severity
                for rule in rules
                if (not rule.severities or severity in rule.severities)
                and matches_all(rule.matchers, labels)
            ),
            None,
        )
    else:
        chosen = default_level if severity is Severity.CRITICAL else None
    return None if chosen is None or chosen == NO_INCIDENT else chosen
