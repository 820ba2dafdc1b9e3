"""The organisation: teams and services, named by every capability.

Alerts are recorded under a service, incidents list the services they affect,
paging finds the policy that pages for a service through its team, the
status page shows a service's components. No capability owns them, so, like
users, they are configuration's own kinds; what refers to them checks its
own references (paging checks the escalation policies they name).

=====================  ====================  ==========================================
YAML key               definition kind       one object is
=====================  ====================  ==========================================
teams                  team                  members, role holders, a default policy
services               service               what alerts and incidents are about
=====================  ====================  ==========================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, field_validator

from tocsin.config.catalog import Catalog, Entry, Kind
from tocsin.config.errors import FieldPath
from tocsin.config.fields import ObjectName, Spec, UserName, WebUrl
from tocsin.config.kinds import KindSet, named_items
from tocsin.config.loader import SourceFile
from tocsin.config.messages import validate_into
from tocsin.config.references import unknown

TEAM = "team"
SERVICE = "service"
#: The kind of the one ``paging:`` definition. Its schema is paging's
#: (:class:`tocsin.paging.config_schema.PagingConfig`, which validates it when it is
#: written); the organisation reads one setting of it, :func:`default_escalation_policy`,
#: so that capabilities below paging (alerts) find a service's policy without paging.
PAGING_SETTINGS = "paging"


class TeamConfig(Spec):
    """One entry of ``teams:``.

    ``roles`` names who holds a team role (team_lead, engineering_manager);
    escalation steps can page a role instead of a person.
    """

    description: str = ""
    members: list[UserName] = Field(default_factory=list)
    roles: dict[ObjectName, UserName] = Field(default_factory=dict)
    escalation_policy: ObjectName | None = None

    @field_validator("members")
    @classmethod
    def _distinct_members(cls, members: list[str]) -> list[str]:
        repeated = sorted({member for member in members if members.count(member) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(map(repr, repeated))} more than once")
        return members


class ServiceConfig(Spec):
    description: str = ""
    team: ObjectName | None = None
    escalation_policy: ObjectName | None = None
    runbooks: list[WebUrl] = Field(default_factory=list)
    components: list[ObjectName] = Field(default_factory=list)


def escalation_policy_of(
    service: ServiceConfig, team: TeamConfig | None, default: str | None
) -> str | None:
    """The policy that pages for ``service`` (``team`` is its team, if defined).

    A service's own ``escalation_policy``; else its team's; else the
    ``paging.default_escalation_policy`` (``default``); else none (its pages
    reach nobody). Alert groups freeze this when they open, formal incident
    declaration pages it, and configuration validation warns when it is
    missing: one rule, used by every part of Tocsin.
    """
    if service.escalation_policy is not None:
        return service.escalation_policy
    if team is not None and team.escalation_policy is not None:
        return team.escalation_policy
    return default


def default_escalation_policy(paging: Mapping[str, Any] | None) -> str | None:
    """``default_escalation_policy`` of the stored ``paging`` definition's spec (None: none).

    The spec was validated by paging's schema when it was written, so the
    setting is a policy name or absent.
    """
    policy = paging.get("default_escalation_policy") if paging is not None else None
    return str(policy) if policy is not None else None


TEAM_KIND: Kind[TeamConfig] = Kind(TEAM, "team", "teams")
SERVICE_KIND: Kind[ServiceConfig] = Kind(SERVICE, "service", "services")


def read_teams(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "teams"):
        model = validate_into(TeamConfig, data, source, path, catalog.issues)
        catalog.add(catalog.entries(TEAM_KIND), "team", Entry(name, model, source, path))


def read_services(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    for name, data, path in named_items(catalog, source, key, node, "services"):
        model = validate_into(ServiceConfig, data, source, path, catalog.issues)
        catalog.add(catalog.entries(SERVICE_KIND), "service", Entry(name, model, source, path))


def check_services(catalog: Catalog) -> None:
    """A service's team must be defined (the status page checks its components)."""
    teams = catalog.entries(TEAM_KIND)
    for entry in catalog.entries(SERVICE_KIND).values():
        service = entry.model
        if service is None:
            continue
        if service.team is not None and service.team not in teams:
            message = unknown("team", service.team, teams)
            catalog.issues.append(entry.issue(message, at=("team",)))


def team_people(catalog: Catalog) -> Iterator[tuple[str, Entry[Any], FieldPath]]:
    """Team members and role holders."""
    for team in catalog.entries(TEAM_KIND).values():
        if team.model is not None:
            for index, member in enumerate(team.model.members):
                yield member, team, ("members", index)
            for role, person in team.model.roles.items():
                yield person, team, ("roles", role)


ORGANISATION_KINDS = KindSet(
    readers={"teams": read_teams, "services": read_services},
    checks=(check_services,),
    people=(team_people,),
)
