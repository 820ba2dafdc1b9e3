"""Which escalation policy pages for a service: one rule, used by every part of Tocsin.

A service's own ``escalation_policy``; else its team's; else the
``paging.default_escalation_policy``; else none (its pages reach nobody).
Alert groups freeze this when they open, formal incident declaration pages
it, and configuration validation warns when it is missing.
"""

from __future__ import annotations

from tocsin.config.schema import ServiceConfig, TeamConfig


def escalation_policy_of(
    service: ServiceConfig, team: TeamConfig | None, default: str | None
) -> str | None:
    """The policy that pages for ``service`` (``team`` is its team, if defined)."""
    if service.escalation_policy is not None:
        return service.escalation_policy
    if team is not None and team.escalation_policy is not None:
        return team.escalation_policy
    return default
