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

from collections.abc import Iterator
from typing import Any

from pydantic import Field, field_validator

from tocsin.config.catalog import Catalog, Entry, Kind
from tocsin.config.errors import FieldPath
from tocsin.config.fields import ObjectName, Spec, UserName, WebUrl
from tocsin.config.kinds import KindSet, named_items
from tocsin.config.loader import SourceFile
from tocsin.config.messages import validate_into
from tocsin.config.plain_kinds import STATUS_PAGE_COMPONENT_KIND
from tocsin.config.references import unknown

TEAM = "team"
SERVICE = "service"


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
    """A service's team and status page components must be defined."""
    teams = catalog.entries(TEAM_KIND)
    components = catalog.entries(STATUS_PAGE_COMPONENT_KIND)
    for entry in catalog.entries(SERVICE_KIND).values():
        service = entry.model
        if service is None:
            continue
        if service.team is not None and service.team not in teams:
            message = unknown("team", service.team, teams)
            catalog.issues.append(entry.issue(message, at=("team",)))
        for index, component in enumerate(service.components):
            if component not in components:
                message = unknown("status page component", component, components)
                catalog.issues.append(entry.issue(message, at=("components", index)))


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
