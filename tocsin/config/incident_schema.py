"""Models and kind names of the incident keys of configuration files."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic import model_validator as model_check

from tocsin.config.fields import Spec
from tocsin.domain.roles import RoleError, parse_role

CHECKLIST = "incident_checklist"
RESOLVE_POLICY = "resolve_policy"
INCIDENT_FIELD = "incident_field"
INCIDENT_KINDS = (CHECKLIST, RESOLVE_POLICY, INCIDENT_FIELD)
#: The one stored row of the singleton kinds.
DEFAULT_NAME = "default"


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
