"""Incident roles: who holds what, handovers, duties, and who may resolve.

The four lead roles (Incident Commander, Communications Lead, Operations Lead,
Scribe) have at most one holder at a time; assigning one to someone else is a
handover from the previous holder. Responders and subject matter experts may be
any number of people. One person may hold several roles at once: in a small
incident the commander often keeps the timeline too.

"Technical Lead" (the first seed's name) is an alias of Operations Lead (the
second seed's and ``incident-roles.yaml``'s name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from tocsin.domain.checklist import slugify


class Role(StrEnum):
    INCIDENT_COMMANDER = "incident_commander"
    COMMUNICATIONS_LEAD = "communications_lead"
    OPERATIONS_LEAD = "operations_lead"
    SCRIBE = "scribe"
    RESPONDER = "responder"
    SUBJECT_MATTER_EXPERT = "subject_matter_expert"


#: Roles with at most one holder at a time, in the order they are listed.
LEAD_ROLES = (
    Role.INCIDENT_COMMANDER,
    Role.COMMUNICATIONS_LEAD,
    Role.OPERATIONS_LEAD,
    Role.SCRIBE,
)

ALIASES = {"technical_lead": Role.OPERATIONS_LEAD}


class RoleError(ValueError):
    """A role name, assignment or definition is invalid."""


def parse_role(name: str) -> Role:
    """The role called ``name``; case, spaces and hyphens do not matter."""
    normal = name.strip().lower().replace("-", "_").replace(" ", "_")
    if normal in ALIASES:
        return ALIASES[normal]
    try:
        return Role(normal)
    except ValueError:
        expected = ", ".join([*(r.value for r in Role), *ALIASES])
        raise RoleError(f"unknown role {name!r}; expected one of: {expected}") from None


@dataclass(frozen=True)
class Assignment:
    role: Role
    user: str


@dataclass(frozen=True)
class Roster:
    """Who holds which role in one incident."""

    assignments: tuple[Assignment, ...] = ()

    def __post_init__(self) -> None:
        if len(set(self.assignments)) != len(self.assignments):
            raise RoleError("the same person holds the same role twice")
        for role in LEAD_ROLES:
            if len(self.holders(role)) > 1:
                raise RoleError(f"{role} can have only one holder")

    def holders(self, role: Role) -> tuple[str, ...]:
        return tuple(a.user for a in self.assignments if a.role is role)

    def holder(self, role: Role) -> str | None:
        """The holder of a lead role, or None when it is vacant."""
        holders = self.holders(role)
        return holders[0] if holders else None

    def roles_of(self, user: str) -> frozenset[Role]:
        return frozenset(a.role for a in self.assignments if a.user == user)


@dataclass(frozen=True)
class Handover:
    """A role passing from ``previous`` to ``new`` (either may be None)."""

    role: Role
    previous: str | None
    new: str | None

    @property
    def changed(self) -> bool:
        return self.previous != self.new


def assign(roster: Roster, role: Role, user: str) -> tuple[Roster, Handover]:
    """Give ``role`` to ``user``; for a lead role, take it from its holder.

    Assigning a role someone already holds changes nothing and returns a
    handover with ``changed`` False.
    """
    if not user.strip():
        raise RoleError("user: who takes the role is required")
    if user in roster.holders(role):
        return roster, Handover(role, user, user)
    if role in LEAD_ROLES:
        previous = roster.holder(role)
        kept = tuple(a for a in roster.assignments if a.role is not role)
        return Roster((*kept, Assignment(role, user))), Handover(role, previous, user)
    return Roster((*roster.assignments, Assignment(role, user))), Handover(role, None, user)


def unassign(roster: Roster, role: Role, user: str | None = None) -> tuple[Roster, Handover]:
    """Take ``role`` from ``user``, leaving a lead role vacant.

    For a lead role ``user`` may be omitted; when given it must be the holder,
    so a stale request cannot remove someone who took over in the meantime.
    """
    if user is None:
        if role not in LEAD_ROLES:
            raise RoleError(f"user: required to remove someone from {role}")
        user = roster.holder(role)
        if user is None:
            raise RoleError(f"{role} has no holder")
    if user not in roster.holders(role):
        holders = ", ".join(roster.holders(role)) or "nobody"
        raise RoleError(f"{user} is not {role}; held by {holders}")
    kept = tuple(a for a in roster.assignments if a != Assignment(role, user))
    return Roster(kept), Handover(role, user, None)


@dataclass(frozen=True)
class RoleDefinition:
    """One role's entry in ``incident-roles.yaml``."""

    role: Role
    responsibilities: tuple[str, ...]
    who: str | None = None


def definitions_from_dict(data: Mapping[str, object]) -> dict[Role, RoleDefinition]:
    """Parse the mapping under ``roles:`` in ``incident-roles.yaml``.

    Keys are role names (aliases allowed); values have ``responsibilities`` (a
    list of text) and an optional ``who``.
    """
    definitions: dict[Role, RoleDefinition] = {}
    for key, raw in data.items():
        role = parse_role(key)
        if role in definitions:
            raise RoleError(f"{key}: {role} is defined twice")
        if not isinstance(raw, Mapping):
            raise RoleError(f"{key}: expected a mapping with responsibilities and who")
        unknown = sorted(set(map(str, raw)) - {"responsibilities", "who"})
        if unknown:
            raise RoleError(f"{key}.{unknown[0]}: unknown field")
        duties = raw.get("responsibilities", [])
        if not isinstance(duties, list) or not all(
            isinstance(d, str) and d.strip() for d in duties
        ):
            raise RoleError(f"{key}.responsibilities: expected a list of text")
        who = raw.get("who")
        if who is not None and not isinstance(who, str):
            raise RoleError(f"{key}.who: expected text")
        definitions[role] = RoleDefinition(role, tuple(d.strip() for d in duties), who)
    return definitions


@dataclass(frozen=True)
class Duty:
    """One responsibility of one holder.

    ``key`` is stable across incidents, e.g. ``scribe.record-timeline-of-events``.
    """

    key: str
    role: Role
    text: str


def duties(
    roster: Roster, definitions: Mapping[Role, RoleDefinition]
) -> dict[str, tuple[Duty, ...]]:
    """Each holder's responsibilities, in role order, from the role definitions.

    Roles without a definition bring no duties.
    """
    result: dict[str, list[Duty]] = {}
    for role in Role:
        definition = definitions.get(role)
        for user in roster.holders(role):
            listed = result.setdefault(user, [])
            if definition is not None:
                listed.extend(
                    Duty(f"{role}.{slugify(text)}", role, text)
                    for text in definition.responsibilities
                )
    return {user: tuple(items) for user, items in result.items()}


@dataclass(frozen=True)
class ResolvePolicy:
    """Who may move an incident to resolved: holders of ``roles``, and admins if ``admins``."""

    roles: frozenset[Role] = frozenset({Role.INCIDENT_COMMANDER})
    admins: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ResolvePolicy:
        """From configuration such as ``{"roles": ["incident_commander"], "admins": true}``."""
        unknown = sorted(set(data) - {"roles", "admins"})
        if unknown:
            raise RoleError(f"{unknown[0]}: unknown field; expected roles or admins")
        roles = data.get("roles", [Role.INCIDENT_COMMANDER.value])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise RoleError("roles: expected a list of role names")
        admins = data.get("admins", True)
        if not isinstance(admins, bool):
            raise RoleError("admins: expected true or false")
        return cls(roles=frozenset(parse_role(r) for r in roles), admins=admins)


def may_resolve(
    actor_roles: Iterable[Role], user_is_admin: bool, policy: ResolvePolicy | None = None
) -> bool:
    """Whether someone holding ``actor_roles`` may resolve the incident.

    By default the Incident Commander decides ("IC decides when the incident is
    resolved"), and admins may too.
    """
    chosen = policy or ResolvePolicy()
    if user_is_admin and chosen.admins:
        return True
    return not chosen.roles.isdisjoint(actor_roles)
