"""The state a configuration directory asks for: what plan compares with the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tocsin.config.alerting_schema import ALERTING_KINDS
from tocsin.config.incident_schema import INCIDENT_KINDS

#: Definition kinds, as stored in ``definitions.kind``.
SEVERITY = "severity"
INCIDENT_ROLE = "incident_role"
TEAM = "team"
SCHEDULE = "schedule"
ESCALATION_POLICY = "escalation_policy"
SERVICE = "service"
STATUS_PAGE_COMPONENT = "status_page_component"
POSTMORTEM_TEMPLATE = "postmortem_template"
CLASSIFICATION = "classification"
PAGING = "paging"
NOTIFICATION_RULES = "notification_rules"
#: Users live in their own table; "user" names them in plans, audit entries and lookups.
USER = "user"

DEFINITION_KINDS = (
    SEVERITY,
    INCIDENT_ROLE,
    TEAM,
    SCHEDULE,
    ESCALATION_POLICY,
    SERVICE,
    STATUS_PAGE_COMPONENT,
    POSTMORTEM_TEMPLATE,
    CLASSIFICATION,
    PAGING,
    NOTIFICATION_RULES,
    *ALERTING_KINDS,
    *INCIDENT_KINDS,
)


@dataclass(frozen=True)
class Origin:
    """Where an object is defined: the file (relative to the directory) and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class DesiredDefinition:
    kind: str
    name: str
    position: int
    spec: dict[str, Any]
    origin: Origin


@dataclass(frozen=True)
class DesiredUser:
    """A person as configuration describes them.

    ``implicit`` users are named somewhere (a schedule, a team, a postmortem)
    but defined nowhere: they are created without contact methods, and a user
    that already exists outside configuration is left as it is.
    """

    name: str
    origin: Origin
    full_name: str = ""
    email: str | None = None
    time_zone: str = "UTC"
    role: str = "responder"
    contact_methods: list[dict[str, Any]] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    implicit: bool = False

    def fields(self) -> dict[str, Any]:
        """The user-table columns configuration sets, by column name."""
        return {
            "full_name": self.full_name,
            "email": self.email,
            "time_zone": self.time_zone,
            "role": self.role,
            "contact_methods": self.contact_methods,
            "spec": self.spec,
        }


@dataclass(frozen=True)
class Configuration:
    """Everything one directory defines, validated and cross-checked."""

    definitions: tuple[DesiredDefinition, ...] = ()
    users: tuple[DesiredUser, ...] = ()
