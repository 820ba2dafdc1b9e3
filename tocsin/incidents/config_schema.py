"""The incident kinds of configuration: severities, incident roles, classification, process.

=====================  ====================  ==========================================
YAML key               definition kind       one object is
=====================  ====================  ==========================================
severities             severity              a level of the scale (position = rank)
roles                  incident_role         an incident role's responsibilities
classification         classification        the thresholds that suggest a severity
incident_checklist     incident_checklist    the checklist that replaces the seed's
resolve_policy         resolve_policy        who may resolve an incident
incident_fields        incident_field        a custom field incidents may carry
=====================  ====================  ==========================================

A model validates one object as written in YAML and dumps (``mode="json"``)
to the ``spec`` stored in the database; :mod:`tocsin.incidents.configured`
reads the stored specs back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, PlainValidator, field_validator
from pydantic import model_validator as model_check
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config.catalog import Kind
from tocsin.config.fields import ObjectName, Spec, describe
from tocsin.config.stored import loaded
from tocsin.config.tables import Definition
from tocsin.domain.roles import RoleError, parse_role
from tocsin.domain.severity import (
    Cadence,
    EscalationAudience,
    ResponseTime,
    SeverityLevel,
    SeverityScale,
    level_key,
    parse_cadence,
    parse_escalation,
    parse_response_time,
)

SEVERITY = "severity"
INCIDENT_ROLE = "incident_role"
CLASSIFICATION = "classification"
CHECKLIST = "incident_checklist"
RESOLVE_POLICY = "resolve_policy"
INCIDENT_FIELD = "incident_field"
#: The one stored row of the singleton kinds (checklist, resolve policy).
DEFAULT_NAME = "default"


def _severity_text(value: Any) -> str:
    """The words of a severity field, from YAML (a string) or a stored spec ({"text": ...})."""
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        return str(value["text"])
    if isinstance(value, str):
        return value
    raise ValueError(f"must be text, got {describe(value)}")


def _dump_response_time(value: ResponseTime) -> dict[str, Any]:
    within = value.within
    seconds = int(within.total_seconds()) if isinstance(within, timedelta) else None
    return {"text": value.text, "seconds": seconds, "next_business_day": seconds is None}


def _dump_cadence(value: Cadence) -> dict[str, Any]:
    return {"text": value.text, "every_seconds": int(value.every.total_seconds())}


def _dump_escalation(value: EscalationAudience) -> dict[str, Any]:
    return {"text": value.text, "audience": list(value.roles)}


ResponseTimeField = Annotated[
    ResponseTime,
    PlainValidator(lambda value: parse_response_time(_severity_text(value))),
    PlainSerializer(_dump_response_time),
]
CadenceField = Annotated[
    Cadence,
    PlainValidator(lambda value: parse_cadence(_severity_text(value))),
    PlainSerializer(_dump_cadence),
]
EscalationField = Annotated[
    EscalationAudience,
    PlainValidator(lambda value: parse_escalation(_severity_text(value))),
    PlainSerializer(_dump_escalation),
]


class SeverityConfig(Spec):
    """One item of ``severities:``; its position in the list is its rank (first = most severe)."""

    level: ObjectName
    name: str
    description: str = ""
    response_time: ResponseTimeField
    communication: CadenceField
    escalation: EscalationField
    examples: list[str] = Field(default_factory=list)

    def to_level(self, rank: int) -> SeverityLevel:
        return SeverityLevel(
            level=self.level,
            name=self.name,
            rank=rank,
            description=self.description,
            response_time=self.response_time,
            communication=self.communication,
            escalation=self.escalation,
            examples=tuple(self.examples),
        )


class IncidentRoleConfig(Spec):
    """One entry of ``roles:`` (incident roles such as incident_commander)."""

    responsibilities: list[str] = Field(default_factory=list)
    who: str | None = None


class ResolvePolicyConfig(Spec):
    """``resolve_policy:`` — which incident roles may resolve, and whether admins may too."""

    roles: list[str] = Field(default_factory=lambda: ["incident_commander"], min_length=1)
    admins: bool = True

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        try:
            return [parse_role(role).value for role in roles]
        except RoleError as error:
            raise ValueError(str(error)) from error


class IncidentFieldConfig(Spec):
    """One entry of ``incident_fields:`` — a custom field incidents may carry."""

    type: Literal["text", "number", "boolean", "choice"] = "text"
    description: str = ""
    choices: list[str] = Field(default_factory=list)

    @model_check(mode="after")
    def _choices_fit_the_type(self) -> IncidentFieldConfig:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice field needs choices")
        if self.type != "choice" and self.choices:
            raise ValueError(f"only choice fields take choices, this one is {self.type}")
        return self


SEVERITY_KIND: Kind[SeverityConfig] = Kind(SEVERITY, "severity level", "severity levels")
INCIDENT_ROLE_KIND: Kind[IncidentRoleConfig] = Kind(
    INCIDENT_ROLE, "incident role", "incident roles"
)
#: Stored as the thresholds written (a mapping), checked by ClassificationRules.from_dict.
CLASSIFICATION_KIND: Kind[dict[str, Any]] = Kind(
    CLASSIFICATION, "classification", "classifications"
)
#: Stored as ``{sections: [...]}``, checked by template_from_config.
CHECKLIST_KIND: Kind[dict[str, Any]] = Kind(CHECKLIST, "incident checklist", "incident checklists")
RESOLVE_POLICY_KIND: Kind[ResolvePolicyConfig] = Kind(
    RESOLVE_POLICY, "resolve policy", "resolve policies"
)
INCIDENT_FIELD_KIND: Kind[IncidentFieldConfig] = Kind(
    INCIDENT_FIELD, "incident field", "incident fields"
)


def severity_scale(session: Session) -> SeverityScale:
    """The applied severity levels, most severe first (rank = position in the file).

    A level that cannot be loaded, or that repeats an earlier level's label
    ("sev 1" after "SEV-1"), is skipped.
    """
    rows = session.scalars(
        select(Definition).where(Definition.kind == SEVERITY).order_by(Definition.position)
    )
    levels: list[SeverityLevel] = []

    def level(row: Definition) -> SeverityLevel:
        config = SeverityConfig.model_validate(row.spec)
        clash = next((x for x in levels if level_key(x.level) == level_key(config.level)), None)
        if clash is not None:
            raise ValueError(f"level {config.level!r} is the same level as {clash.level!r}")
        return config.to_level(len(levels))

    for _, found in loaded(rows, level):
        levels.append(found)
    return SeverityScale(levels)
