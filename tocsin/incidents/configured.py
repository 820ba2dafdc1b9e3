"""What configuration says about incidents, with the seeds' process as the default.

Configuration as code stores definitions as rows of the ``definitions`` table
(see :mod:`tocsin.config`). This module reads the kinds incidents need:

==================  ==========================  =========================================
kind                name                        spec
==================  ==========================  =========================================
severity            the level ("SEV-1")         severity-definitions.yaml item
incident_role       the role ("scribe")         ``{responsibilities: [...], who: ...}``
classification      "classification"            thresholds (ClassificationRules.from_dict)
incident_checklist  any (one row)               ``{sections: <template_from_config shape>}``
resolve_policy      any (one row)               ``{roles: [...], admins: true}``
incident_field      the field key               ``{type, description, choices}``
==================  ==========================  =========================================

Whatever is not configured falls back to the seeds: the SEV-1..SEV-4 scale of
``severity-definitions.yaml`` (:data:`tocsin.domain.severity.DEFAULT_SCALE`),
the four lead roles of ``incident-roles.yaml``, the Incident Response Template,
and "the Incident Commander or an admin may resolve".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config.stored import loaded
from tocsin.config.tables import Definition
from tocsin.domain.checklist import DEFAULT_TEMPLATE, ChecklistTemplate, template_from_config
from tocsin.domain.classification import ClassificationRules
from tocsin.domain.roles import (
    ResolvePolicy,
    Role,
    RoleDefinition,
    RoleError,
    definitions_from_dict,
)
from tocsin.domain.severity import (
    DEFAULT_SCALE,
    SeverityLevel,
    SeverityScale,
)
from tocsin.incidents.config_schema import severity_scale
from tocsin.incidents.custom_fields import FieldDefinition, field_definition

SEVERITY = "severity"
INCIDENT_ROLE = "incident_role"
CLASSIFICATION = "classification"
CHECKLIST = "incident_checklist"
RESOLVE_POLICY = "resolve_policy"
INCIDENT_FIELD = "incident_field"

T = TypeVar("T")

#: How many of the most severe levels always go through formal declaration (SEV1, SEV2).
FORMAL_LEVELS = 2


#: The seed's incident-roles.yaml.
DEFAULT_ROLES: dict[str, Any] = {
    "incident_commander": {
        "responsibilities": [
            "Declare the incident and assign severity",
            "Assign roles to responders",
            "Make decisions on response strategy",
            "Coordinate across teams",
            "Decide when the incident is resolved",
        ],
        "who": "On-call lead or senior engineer",
    },
    "communications_lead": {
        "responsibilities": [
            "Post status updates at defined intervals",
            "Update the status page",
            "Notify affected customers",
            "Coordinate with support and sales teams",
        ],
        "who": "On-call secondary or designated communicator",
    },
    "operations_lead": {
        "responsibilities": [
            "Lead technical investigation",
            "Coordinate debugging efforts",
            "Propose and execute mitigations",
            "Escalate to subject matter experts",
        ],
        "who": "Senior engineer familiar with the affected system",
    },
    "scribe": {
        "responsibilities": [
            "Record timeline of events",
            "Document actions taken and by whom",
            "Capture decisions and their rationale",
            "Prepare notes for the postmortem",
        ],
        "who": "Any available team member",
    },
}


def _rows(session: Session, kind: str) -> list[Definition]:
    query = select(Definition).where(Definition.kind == kind)
    return list(session.scalars(query.order_by(Definition.position, Definition.name)))


def _first(session: Session, kind: str, load: Callable[[dict[str, Any]], T], default: T) -> T:
    """The first row of a one-row kind that loads, or ``default``."""
    for _, value in loaded(_rows(session, kind), lambda row: load(row.spec)):
        return value
    return default


def scale(session: Session) -> SeverityScale:
    """The configured severity levels, or the seed's SEV-1..SEV-4 when none are."""
    configured = severity_scale(session)
    return configured if len(configured) else DEFAULT_SCALE


def needs_formal_declaration(level: SeverityLevel) -> bool:
    """SEV1 and SEV2 (the two most severe configured levels) are always formally declared."""
    return level.rank < FORMAL_LEVELS


def role_definitions(session: Session) -> dict[Role, RoleDefinition]:
    """The configured incident roles, or the seed's four when none is (or none loads)."""
    found: dict[Role, RoleDefinition] = {}

    def load(row: Definition) -> dict[Role, RoleDefinition]:
        parsed = definitions_from_dict({row.name: row.spec})
        twice = sorted(role.value for role in parsed if role in found)
        if twice:
            raise RoleError(f"{twice[0]} is defined twice")
        return parsed

    for _, parsed in loaded(_rows(session, INCIDENT_ROLE), load):
        found.update(parsed)
    return found or definitions_from_dict(DEFAULT_ROLES)


def classification_rules(session: Session) -> ClassificationRules:
    return _first(session, CLASSIFICATION, ClassificationRules.from_dict, ClassificationRules())


def checklist_template(session: Session) -> ChecklistTemplate:
    return _first(
        session, CHECKLIST, lambda spec: template_from_config(spec["sections"]), DEFAULT_TEMPLATE
    )


def resolve_policy(session: Session) -> ResolvePolicy:
    return _first(session, RESOLVE_POLICY, ResolvePolicy.from_dict, ResolvePolicy())


def custom_fields(session: Session) -> dict[str, FieldDefinition]:
    """Custom incident fields by key; none unless configuration defines some."""
    rows = _rows(session, INCIDENT_FIELD)
    return {
        row.name: definition
        for row, definition in loaded(rows, lambda row: field_definition(row.name, row.spec))
    }
