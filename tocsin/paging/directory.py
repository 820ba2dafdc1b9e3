"""What paging needs to know from definitions: policies, teams, schedules, people and their rules.

A :class:`Directory` reads definitions through one session and answers the
domain's questions, notably :meth:`Directory.resolver`: who an escalation
target means at an instant. Schedules come from the on-call loader
(:func:`tocsin.oncall.schedules.load`), so overrides made through the API
count as soon as they are committed, including during an escalation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config.organisation import SERVICE, TEAM, ServiceConfig, TeamConfig
from tocsin.config.tables import Definition
from tocsin.domain.escalation import Policy, Resolution, Resolver, Target
from tocsin.domain.notification_rules import ContactMethod, UserRules
from tocsin.domain.refusals import Conflict, NotFound
from tocsin.domain.schedule import Schedule, oncall_at
from tocsin.oncall import schedules
from tocsin.paging import statements
from tocsin.paging.config_schema import (
    ESCALATION_POLICY,
    NOTIFICATION_RULES,
    PAGING,
    PAGING_NAME,
    NotificationRulesConfig,
    PagingConfig,
    escalation_policy_of,
)

NOBODY = "nobody assigned"
_INSTANT = timedelta(seconds=1)


@dataclass(frozen=True)
class Person:
    """What paging needs of a user: read as plain columns, not as the ORM's object."""

    name: str
    email: str | None
    time_zone: str
    contact_methods: list[Any]


def contact_methods(user: User | Person) -> list[ContactMethod]:
    return parse_contact_methods(user.contact_methods)


def parse_contact_methods(stored: list[Any] | None) -> list[ContactMethod]:
    """The usable contact methods of a user's stored ``contact_methods`` column."""
    methods = []
    for index, method in enumerate(stored or []):
        target = method.get("address") or method.get("url")
        if isinstance(target, str) and isinstance(method.get("type"), str):
            methods.append(ContactMethod(index, method["type"], target))
    return methods


_DEFINITIONS = cast(Table, Definition.__table__)
# Built once: these run for every step and delivery.
_TEAMS_AND_SERVICES = select(_DEFINITIONS.c.kind, _DEFINITIONS.c.name, _DEFINITIONS.c.spec).where(
    _DEFINITIONS.c.kind.in_((TEAM, SERVICE))
)


class Directory:
    """Definitions as one transaction sees them; each is read at most once per directory."""

    @classmethod
    def shared(cls, cache: dict[object, object], session: Session) -> Directory:
        """The directory kept in ``cache`` for ``session``'s transaction, made if need be.

        ``cache`` is a job's :attr:`~tocsin.engine.registry.JobContext.shared`:
        the jobs sharing one transaction (a storm's steps paging the same
        people) then read each definition and person once.
        """
        found = cache.get(cls)
        if isinstance(found, Directory) and found.session is session:
            return found
        directory = cls(session)
        cache[cls] = directory
        return directory

    def __init__(self, session: Session) -> None:
        self.session = session
        self._specs: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._users: dict[str, Person | None] = {}
        self._paging: PagingConfig | None = None

    def _spec(self, kind: str, name: str) -> dict[str, Any] | None:
        key = (kind, name)
        if key not in self._specs:
            self._specs[key] = statements.definition_spec(self.session, kind, name)
        return self._specs[key]

    def paging(self) -> PagingConfig:
        if self._paging is None:
            spec = self._spec(PAGING, PAGING_NAME)
            self._paging = PagingConfig.model_validate(spec) if spec is not None else PagingConfig()
        return self._paging

    def policy(self, name: str) -> Policy | None:
        spec = self._spec(ESCALATION_POLICY, name)
        if spec is None:
            return None
        return Policy.from_spec(
            name, spec, escalate_low_urgency=self.paging().low_urgency_escalates
        )

    def service(self, name: str) -> ServiceConfig | None:
        spec = self._spec(SERVICE, name)
        return ServiceConfig.model_validate(spec) if spec is not None else None

    def team(self, name: str) -> TeamConfig | None:
        spec = self._spec(TEAM, name)
        return TeamConfig.model_validate(spec) if spec is not None else None

    def service_policy(self, name: str) -> str | None:
        """The policy that pages for service ``name`` (see :func:`escalation_policy_of`)."""
        service = self.service(name)
        if service is None:
            return None
        team = self.team(service.team) if service.team is not None else None
        return escalation_policy_of(service, team, self.paging().default_escalation_policy)

    def schedule(self, name: str, at: datetime) -> Schedule | None:
        """The schedule with every override in force at ``at``; None if it is not defined."""
        try:
            return schedules.load(self.session, name, (at, at + _INSTANT)).schedule
        except NotFound:
            return None

    def user(self, name: str) -> Person | None:
        if name not in self._users:
            row = statements.person(self.session, name)
            self._users[name] = None if row is None else Person(*row)
        return self._users[name]

    def read_people(self, names: Iterable[str]) -> None:
        """Read these people and their notification rules now, into this directory.

        Paging them afterwards then writes without reading: a read that
        follows a write makes the ORM flush pending rows first, one flush
        per read.
        """
        for name in names:
            user = self.user(name)
            if user is not None:
                self._spec(NOTIFICATION_RULES, user.name)

    def rules(self, user: Person) -> UserRules | None:
        spec = self._spec(NOTIFICATION_RULES, user.name)
        if spec is None:
            return None
        return NotificationRulesConfig.model_validate(spec).to_rules(user.time_zone)

    def owning_team(self, service: str | None, policy: str) -> str | None:
        """The team whose roles a bare ``role`` target means.

        The service's team; without a service, the only team that uses the
        policy (directly, or through one of its services paging with it).
        """
        if service is not None:
            found = self.service(service)
            return found.team if found is not None else None
        specs: dict[str, dict[str, dict[str, Any]]] = {TEAM: {}, SERVICE: {}}
        for kind, name, spec in self.session.execute(_TEAMS_AND_SERVICES):
            specs[kind][name] = spec
        default = self.paging().default_escalation_policy
        teams = {
            name for name, spec in specs[TEAM].items() if spec.get("escalation_policy") == policy
        }
        for spec in specs[SERVICE].values():
            config = ServiceConfig.model_validate(spec)
            team_spec = specs[TEAM].get(config.team) if config.team is not None else None
            team = TeamConfig.model_validate(team_spec) if team_spec is not None else None
            if config.team is not None and escalation_policy_of(config, team, default) == policy:
                teams.add(config.team)
        return teams.pop() if len(teams) == 1 else None

    def resolver(self, team: str | None) -> Resolver:
        """Who a target means at an instant; ``team`` is the team owning the escalation."""

        def resolve(target: Target, at: datetime) -> Resolution:
            if target.user is not None:
                if self.user(target.user) is None:
                    return Resolution((), f"{NOBODY}: user {target.user} does not exist")
                return Resolution((target.user,))
            if target.schedule is not None:
                return self._on_call(target.schedule, target.layer, at)
            if target.team is not None:
                return self._in_team(target.team, target.role)
            assert target.role is not None
            if team is None:
                return Resolution((), f"{NOBODY}: no team owns this escalation")
            return self._in_team(team, target.role)

        return resolve

    def _on_call(self, name: str, layer: str | None, at: datetime) -> Resolution:
        try:
            schedule = self.schedule(name, at)
        except Conflict as error:
            return Resolution((), f"{NOBODY}: {error}")
        if schedule is None:
            return Resolution((), f"{NOBODY}: schedule {name} is not defined")
        holders = [each for each in oncall_at(schedule, at) if layer is None or each.layer == layer]
        people = tuple(each.person for each in holders if each.person is not None)
        if people:
            return Resolution(people)
        where = f"layer {layer} of schedule {name}" if layer else f"schedule {name}"
        return Resolution((), f"nobody on call in {where}")

    def _in_team(self, name: str, role: str | None) -> Resolution:
        team = self.team(name)
        if team is None:
            return Resolution((), f"{NOBODY}: team {name} is not defined")
        if role is None:
            if not team.members:
                return Resolution((), f"{NOBODY}: team {name} has no members")
            return Resolution(tuple(team.members))
        holder = team.roles.get(role)
        if holder is None:
            return Resolution((), f"{NOBODY}: team {name} has no {role}")
        return Resolution((holder,))
