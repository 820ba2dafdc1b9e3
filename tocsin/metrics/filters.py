"""What a metric is asked for: a period and filters, checked and refused by name.

Every report takes the same question (:class:`Asked`): a period [from, to)
and the filters severity (repeatable), service, team and source, each
optional. What each filter means depends on what the report counts:

- incidents (response times, frequency) and pages (on-call load): the
  incident's configured severity level and its source (``manual``,
  ``user_report``, ``alert``); a page matches them through the incident it
  was escalated for, so pages that were for no incident match neither;
- alerts (accuracy, flapping): the alert's severity (``critical``, ``error``,
  ``warning``, ``info``) and the integration type that sent it (its
  ``source_type``: ``alertmanager``, ``pagerduty``, ``user_report``...).

For action items, a team is the team answerable for each item (its own
``team``), and severity, service and source are those of the item's incident:
an item of no incident matches none of them.

Elsewhere, a team stands for the services it owns now (configuration's ``team:`` of each
service); with a service as well, only that service, if the team owns it.
A name that matches nothing is refused with 422 naming the field and listing
what would have matched, rather than answering zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tocsin.alerts.config_schema import INTEGRATION_TYPES
from tocsin.alerts.tables import AlertGroup
from tocsin.config import known_names
from tocsin.config.organisation import SERVICE, TEAM
from tocsin.config.tables import Definition
from tocsin.domain.alert_lifecycle import Severity as AlertSeverity
from tocsin.domain.refusals import Invalid
from tocsin.incidents import configured
from tocsin.incidents.declaring import SOURCES as INCIDENT_SOURCES
from tocsin.incidents.tables import IncidentService
from tocsin.paging.tables import EscalationRun

#: What sends alerts: the integration types, and people reporting (``tocsin report``).
ALERT_SOURCES: tuple[str, ...] = (*INTEGRATION_TYPES, "user_report")
ALERT_SEVERITIES: tuple[str, ...] = tuple(level.value for level in AlertSeverity)


@dataclass(frozen=True)
class Asked:
    """A report's question as the caller wrote it; :func:`for_incidents` and the others check it."""

    start: datetime | None = None
    end: datetime | None = None
    severity: Sequence[str] = ()
    service: str | None = None
    team: str | None = None
    source: str | None = None
    #: The zone weeks are counted in (frequency only).
    zone: str = "UTC"


@dataclass(frozen=True)
class Filters:
    """A checked question: an instant range in UTC and the values rows must have."""

    #: From (inclusive) and to (exclusive); None: no bound.
    start: datetime | None = None
    end: datetime | None = None
    severities: tuple[str, ...] = ()
    #: None: any service; else only these (a team's, a service, or both: then possibly none).
    services: tuple[str, ...] | None = None
    sources: tuple[str, ...] = ()
    #: Action items only: the team answerable for them (their own ``team``), None for any.
    team: str | None = None
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def nothing_matches(self) -> bool:
        """A service filter that no service passes (a service the team does not own)."""
        return self.services is not None and not self.services


def period(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The range in UTC; 422 naming ``to`` unless it comes after ``from``."""
    first = start.astimezone(UTC) if start is not None else None
    last = end.astimezone(UTC) if end is not None else None
    if first is not None and last is not None and last <= first:
        raise Invalid("to", "must be after from", where="query")
    return first, last


def zone(name: str) -> ZoneInfo:
    """An IANA time zone; 422 naming ``zone`` when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        message = f"unknown time zone {name!r}; expected an IANA name like Europe/Paris"
        raise Invalid("zone", message, where="query") from error


def _one_of(field_name: str, value: str | None, allowed: Sequence[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if value not in allowed:
        expected = ", ".join(allowed)
        raise Invalid(field_name, f"expected one of {expected}, got {value!r}", where="query")
    return (value,)


def _services(session: Session, asked: Asked, seen: Select[Any]) -> tuple[str, ...] | None:
    """The services a row may name: the service, the team's, both, or None for any."""
    if asked.service is not None:
        problem = known_names.unknown_service_filter(session, asked.service, seen)
        if problem is not None:
            raise Invalid("service", problem, where="query")
    if asked.team is None:
        return None if asked.service is None else (asked.service,)
    owned = known_names.team_services(session, asked.team)
    if asked.service is not None:
        return (asked.service,) if asked.service in owned else ()
    return tuple(owned)


def _levels(session: Session, values: Sequence[str]) -> tuple[str, ...]:
    """Configured severity labels (``SEV1`` reads as ``SEV-1`` if that is configured)."""
    scale = configured.scale(session)
    labels = []
    for value in values:
        level = scale.get(value)
        if level is None:
            known = ", ".join(item.level for item in scale)
            raise Invalid(
                "severity",
                f"unknown severity {value!r}; configured levels: {known}",
                where="query",
            )
        labels.append(level.level)
    return tuple(dict.fromkeys(labels))


def for_incidents(session: Session, asked: Asked) -> Filters:
    """Filters on incidents: configured levels, affected services, incident sources."""
    return _on_incidents(session, asked, own_team=False)


def _on_incidents(session: Session, asked: Asked, *, own_team: bool) -> Filters:
    """Filters on what is counted through its incident; ``own_team``: the team is its own."""
    start, end = period(asked.start, asked.end)
    team = None
    if own_team and asked.team is not None:
        team = asked.team
        teams = known_names.defined(session, TEAM)
        if team not in teams:
            raise Invalid("team", known_names.unknown("team", "teams", team, teams), where="query")
    for_services = Asked(service=asked.service) if own_team else asked
    return Filters(
        start=start,
        end=end,
        severities=_levels(session, asked.severity),
        services=_services(session, for_services, select(IncidentService.name)),
        sources=_one_of("source", asked.source, INCIDENT_SOURCES),
        team=team,
        zone=zone(asked.zone),
    )


def for_pages(session: Session, asked: Asked) -> Filters:
    """Filters on pages: the escalated service, and the level and source of its incident."""
    start, end = period(asked.start, asked.end)
    return Filters(
        start=start,
        end=end,
        severities=_levels(session, asked.severity),
        services=_services(session, asked, select(EscalationRun.service)),
        sources=_one_of("source", asked.source, INCIDENT_SOURCES),
    )


def for_alerts(session: Session, asked: Asked) -> Filters:
    """Filters on alerts: their service, alert severity and the integration type."""
    start, end = period(asked.start, asked.end)
    severities: list[str] = []
    for value in asked.severity:
        severities.extend(_one_of("severity", value.strip().lower(), ALERT_SEVERITIES))
    return Filters(
        start=start,
        end=end,
        severities=tuple(dict.fromkeys(severities)),
        services=_services(session, asked, select(AlertGroup.service)),
        sources=_one_of("source", asked.source, ALERT_SOURCES),
    )


def for_action_items(session: Session, asked: Asked) -> Filters:
    """Filters on action items: their own team, and their incident's level, services, source."""
    return _on_incidents(session, asked, own_team=True)


def service_teams(session: Session) -> dict[str, str]:
    """Each configured service that a team owns, and that team."""
    rows = session.execute(
        select(Definition.name, Definition.spec).where(Definition.kind == SERVICE)
    ).all()
    owners = {name: (spec or {}).get("team") for name, spec in rows}
    return {name: team for name, team in owners.items() if isinstance(team, str) and team}
