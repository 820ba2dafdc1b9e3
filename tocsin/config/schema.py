"""Pydantic models for each kind of configuration object (schedules live in schedule_schema).

A model validates one object as written in YAML and dumps (``mode="json"``)
to the ``spec`` stored in the database. Stored specs validate again with the
same model, so code that needs typed values reads a row back with
``SeverityConfig.model_validate(definition.spec)`` and so on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date as CalendarDate
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, PlainValidator, ValidationInfo, field_validator
from pydantic import model_validator as model_check

from tocsin.config.fields import (
    EmailAddress,
    NonNegativeInteger,
    ObjectName,
    PositiveInteger,
    Spec,
    TimeZoneName,
    UserName,
    WebUrl,
    describe,
    email_address,
    web_url,
)
from tocsin.domain.severity import (
    Cadence,
    EscalationAudience,
    ResponseTime,
    SeverityLevel,
    parse_cadence,
    parse_escalation,
    parse_response_time,
)

# --- severities -------------------------------------------------------------


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


# --- incident roles and teams -----------------------------------------------


class IncidentRoleConfig(Spec):
    """One entry of ``roles:`` (incident roles such as incident_commander)."""

    responsibilities: list[str] = Field(default_factory=list)
    who: str | None = None


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


# --- users ------------------------------------------------------------------

ContactType = Literal[
    "email", "sms", "voice", "push", "slack", "teams", "telegram", "ntfy", "webhook", "apprise"
]
#: Which of ``address`` / ``url`` each contact method type takes.
CONTACT_TARGET: dict[str, tuple[str, ...]] = {
    "email": ("address",),
    "sms": ("address",),
    "voice": ("address",),
    "push": ("address",),
    "telegram": ("address",),
    "slack": ("address", "url"),
    "ntfy": ("address", "url"),
    "teams": ("url",),
    "webhook": ("url",),
    "apprise": ("url",),
}
_PHONE_DIGITS = 7


class ContactMethodConfig(Spec):
    """How to reach a person: ``type`` and either an ``address`` or a ``url``."""

    type: ContactType
    address: str | None = None
    url: str | None = None

    @field_validator("address")
    @classmethod
    def _check_address(cls, address: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if address is None or kind is None:
            return address
        if "address" not in CONTACT_TARGET[kind]:
            raise ValueError(f"a {kind} contact method takes a url, not an address")
        if kind == "email":
            email_address(address)
        if kind in ("sms", "voice"):
            digits = address.removeprefix("+").replace(" ", "").replace("-", "")
            if not address.startswith("+") or not digits.isdigit() or len(digits) < _PHONE_DIGITS:
                raise ValueError(
                    f"must be a phone number in international form like +15551234567, "
                    f"got {describe(address)}"
                )
        return address

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if url is None or kind is None:
            return url
        if "url" not in CONTACT_TARGET[kind]:
            raise ValueError(f"a {kind} contact method takes an address, not a url")
        if kind == "apprise":
            if "://" not in url:
                raise ValueError(f"must be an Apprise URL like tgram://token/chat, got {url!r}")
        else:
            web_url(url)
        return url

    @model_check(mode="after")
    def _one_target(self) -> ContactMethodConfig:
        if (self.address is None) == (self.url is None):
            accepted = " or ".join(CONTACT_TARGET[self.type])
            raise ValueError(f"a {self.type} contact method needs exactly one {accepted}")
        return self


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip().lower()
        for day in WEEKDAYS:
            if text in (day, day[:3]):
                return day
    raise ValueError(f"must be a day of the week like Monday or mon, got {describe(value)}")


def _time_of_day(value: Any) -> str:
    if isinstance(value, str):
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if match is not None:
            return f"{int(match[1]):02d}:{match[2]}"
    raise ValueError(f'must be a time of day like "09:00" or "17:30", got {describe(value)}')


Weekday = Annotated[str, PlainValidator(_weekday)]
TimeOfDay = Annotated[str, PlainValidator(_time_of_day)]


class WorkingHoursConfig(Spec):
    """When a person normally works, in their own time zone."""

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: TimeOfDay = "09:00"
    end: TimeOfDay = "17:00"

    @model_check(mode="after")
    def _start_before_end(self) -> WorkingHoursConfig:
        if self.start >= self.end:
            raise ValueError(f"start ({self.start}) must be before end ({self.end})")
        return self


UserRole = Literal["viewer", "responder", "admin"]


class UserConfig(Spec):
    """One person under ``users:`` (the mapping key, or ``name`` in the list form, names them)."""

    full_name: str = ""
    email: EmailAddress | None = None
    time_zone: TimeZoneName = "UTC"
    role: UserRole = "responder"
    contact_methods: list[ContactMethodConfig] = Field(default_factory=list)
    working_hours: WorkingHoursConfig | None = None


# --- escalation policies ----------------------------------------------------


class TargetConfig(Spec):
    """Who one escalation step pages.

    Exactly one of: ``user``; ``schedule`` (optionally one ``layer``, else
    every layer on call); ``team`` (optionally one team ``role``, else every
    member); or ``role`` alone, meaning that role in the team that owns the
    service whose alert is escalating.
    """

    user: UserName | None = None
    schedule: ObjectName | None = None
    layer: ObjectName | None = None
    team: ObjectName | None = None
    role: ObjectName | None = None

    @model_check(mode="after")
    def _one_target(self) -> TargetConfig:
        chosen = [key for key in ("user", "schedule", "team") if getattr(self, key) is not None]
        if len(chosen) > 1 or (not chosen and self.role is None):
            raise ValueError(
                "needs exactly one of user, schedule (with optional layer), "
                "team (with optional role), or role alone"
            )
        if self.layer is not None and self.schedule is None:
            raise ValueError("layer is only allowed with schedule")
        if self.role is not None and chosen and chosen != ["team"]:
            raise ValueError("role is only allowed with team or on its own")
        return self


class StepConfig(Spec):
    targets: list[TargetConfig] = Field(min_length=1)
    timeout_minutes: PositiveInteger


class EscalationPolicyConfig(Spec):
    """Ordered steps; the whole list runs ``repeat`` more times if nobody acknowledges."""

    description: str = ""
    steps: list[StepConfig] = Field(min_length=1)
    repeat: NonNegativeInteger = 0


# --- services and the status page ------------------------------------------


class ServiceConfig(Spec):
    description: str = ""
    team: ObjectName | None = None
    escalation_policy: ObjectName | None = None
    runbooks: list[WebUrl] = Field(default_factory=list)
    components: list[ObjectName] = Field(default_factory=list)


class ComponentConfig(Spec):
    name: ObjectName
    group: str = ""
    description: str = ""


class StatusPageConfig(Spec):
    components: list[ComponentConfig] = Field(default_factory=list)


# --- postmortem templates ---------------------------------------------------

_PRIORITIES = ("P0", "P1", "P2", "P3", "P4")


def _priority(value: Any) -> str:
    if isinstance(value, str) and value.upper() in _PRIORITIES:
        return value.upper()
    raise ValueError(f"must be one of {', '.join(_PRIORITIES)}, got {describe(value)}")


class TimelineEntryConfig(Spec):
    time: str
    event: str


class ActionItemConfig(Spec):
    description: str
    owner: UserName | None = None
    priority: Annotated[str, PlainValidator(_priority)] = "P2"
    due_date: CalendarDate | None = None


class PostmortemTemplateConfig(Spec):
    """A blameless postmortem document's structure, pre-filled with example content.

    The seed's sections, plus the usual ones of the Google SRE template; all
    but ``title`` are optional.
    """

    title: str
    date: CalendarDate | None = None
    duration: str = ""
    authors: list[UserName] = Field(default_factory=list)
    summary: str = ""
    impact: dict[str, int | float | str] = Field(default_factory=dict)
    timeline: list[TimelineEntryConfig] = Field(default_factory=list)
    trigger: str = ""
    root_cause: str = ""
    detection: str = ""
    resolution: str = ""
    contributing_factors: list[str] = Field(default_factory=list)
    what_went_well: list[str] = Field(default_factory=list)
    what_went_wrong: list[str] = Field(default_factory=list)
    where_we_got_lucky: list[str] = Field(default_factory=list)
    action_items: list[ActionItemConfig] = Field(default_factory=list)
