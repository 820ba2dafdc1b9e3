"""The postmortem configuration kinds: templates (``postmortem:``) and settings (``postmortems:``).

A template (:class:`PostmortemTemplateConfig`) is the seeds' postmortem-template.yaml:
a document's structure with example content, named after its file. It may list
its ``sections`` (their order, titles and hints); one that does not has the
standard sections (:data:`tocsin.domain.postmortem_document.STANDARD_SECTIONS`).

The settings (:class:`PostmortemsConfig`, one file only) say which severities
require a postmortem, when it is due, when its owner is reminded, which
template drafts use and how the blameless language check is tuned; its
``action_items:`` block (:class:`ActionItemsConfig`) says when action items'
owners are reminded and when each team's weekly digest goes out.
"""

from __future__ import annotations

import re
from datetime import date as CalendarDate
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, field_validator, model_validator

from tocsin.config.catalog import Kind
from tocsin.config.fields import (
    NonNegativeInteger,
    ObjectName,
    PositiveInteger,
    Spec,
    TimeZoneName,
    UserName,
    describe,
)
from tocsin.config.users import Weekday
from tocsin.domain.blameless import BUILTIN_IDS
from tocsin.domain.postmortem_document import STANDARD_SECTIONS, section_key

POSTMORTEM_TEMPLATE = "postmortem_template"
POSTMORTEMS = "postmortems"
#: The one ``postmortems`` definition's name.
POSTMORTEMS_NAME = "postmortems"

_PRIORITIES = ("P0", "P1", "P2", "P3", "P4")


def _priority(value: Any) -> str:
    if isinstance(value, str) and value.upper() in _PRIORITIES:
        return value.upper()
    raise ValueError(f"must be one of {', '.join(_PRIORITIES)}, got {describe(value)}")


def _section_key(value: Any) -> str:
    try:
        return section_key(value)
    except ValueError as error:
        raise ValueError(f"{error}, got {describe(value)}") from None


class TimelineEntryConfig(Spec):
    time: str
    event: str


class ActionItemConfig(Spec):
    description: str
    owner: UserName | None = None
    priority: Annotated[str, PlainValidator(_priority)] = "P2"
    due_date: CalendarDate | None = None


class SectionConfig(Spec):
    """One section of a template's document: a standard one, or one of its own."""

    #: A standard section's key (summary, impact, timeline...) or a new one (trigger).
    key: Annotated[str, PlainValidator(_section_key)]
    title: str = Field(default="", max_length=200)
    #: For a section of its own: free text, or a list of points.
    kind: Literal["text", "list"] | None = None
    #: What to write there, shown to the author.
    hint: str = ""
    #: Whether the public version shows it; unset: summary, impact, timeline, root_cause
    #: and action_items do, every other section does not.
    public: bool | None = None

    @model_validator(mode="after")
    def _kind_of_standard(self) -> SectionConfig:
        standard = STANDARD_SECTIONS.get(self.key)
        if standard is not None and self.kind is not None and self.kind != standard.kind:
            raise ValueError(
                f"kind: {self.key} is a standard section of kind {standard.kind}; "
                "leave kind out or give that one"
            )
        return self


class PostmortemTemplateConfig(Spec):
    """A blameless postmortem document's structure, pre-filled with example content.

    The seed's sections, plus the usual ones of the Google SRE template; all
    but ``title`` are optional. ``sections`` orders and names the document's
    sections; without it a draft has the standard ones.
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
    sections: list[SectionConfig] = Field(default_factory=list)

    @field_validator("sections")
    @classmethod
    def _distinct_sections(cls, sections: list[SectionConfig]) -> list[SectionConfig]:
        keys = [section.key for section in sections]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"lists section {', '.join(map(repr, repeated))} more than once")
        return sections


def _pattern(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a regular expression, got {describe(value)}")
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"is not a valid regular expression ({error})") from None
    return value


class BlamelessRuleConfig(Spec):
    """A rule of the organisation's own: a pattern, why it reads as blame, what to write."""

    id: Annotated[str, PlainValidator(_section_key)]
    #: A regular expression (Python's), matched in each sentence ignoring case.
    pattern: Annotated[str, PlainValidator(_pattern)]
    explanation: str = Field(min_length=1)
    alternative: str = Field(min_length=1)


class BlamelessConfig(Spec):
    """The language check: built-in rules switched off (by id), and rules of one's own."""

    disabled: list[str] = Field(default_factory=list)
    rules: list[BlamelessRuleConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> BlamelessConfig:
        for name in self.disabled:
            if name not in BUILTIN_IDS:
                raise ValueError(
                    f"disabled: no built-in rule {name!r}; they are {', '.join(BUILTIN_IDS)}"
                )
        ids = [rule.id for rule in self.rules]
        for name in ids:
            if name in BUILTIN_IDS or ids.count(name) > 1:
                raise ValueError(f"rules: the id {name!r} is taken; give each rule its own")
        return self


class DigestConfig(Spec):
    """Each team's weekly digest of its action items: when, and to whom."""

    #: The day of the week it is sent (monday ... sunday), in ``time_zone``.
    weekday: Weekday = "monday"
    #: The hour of that day it is sent (0-23), in ``time_zone``.
    hour: int = Field(default=9, ge=0, le=23)
    time_zone: TimeZoneName = "UTC"
    #: Every member of the team, or its team lead (``roles.team_lead``) only.
    to: Literal["members", "team_lead"] = "members"


class ActionItemsConfig(Spec):
    """When action items' owners are reminded, and each team's weekly digest."""

    #: The owner is reminded this many days before the due date (0: no reminder before).
    remind_before_days: NonNegativeInteger = 2
    #: Once overdue (the day after the due date), then every this many days until finished.
    remind_overdue_every_days: PositiveInteger = 7
    #: The hour of the day reminders are sent (0-23), in ``time_zone``.
    remind_at_hour: int = Field(default=9, ge=0, le=23)
    #: The time zone that reminder days and hours are counted in.
    time_zone: TimeZoneName = "UTC"
    digest: DigestConfig = Field(default_factory=DigestConfig)


class PostmortemsConfig(Spec):
    """Organisation-wide postmortem settings (the top-level ``postmortems:`` key, one file)."""

    #: Severities whose incidents get a postmortem when they resolve (drills aside).
    required_for: list[ObjectName] = Field(default_factory=lambda: ["SEV-1", "SEV-2"])
    #: How long after the incident resolved the postmortem is due.
    due_hours: PositiveInteger = 48
    #: The owner is reminded this long before it is due (0: no reminder before).
    remind_before_hours: NonNegativeInteger = 24
    #: Then, once it is overdue, every this long until it is published.
    remind_overdue_every_hours: PositiveInteger = 24
    #: The template drafts use; none: the standard sections.
    template: ObjectName | None = None
    blameless: BlamelessConfig = Field(default_factory=BlamelessConfig)
    action_items: ActionItemsConfig = Field(default_factory=ActionItemsConfig)


POSTMORTEM_TEMPLATE_KIND: Kind[PostmortemTemplateConfig] = Kind(
    POSTMORTEM_TEMPLATE, "postmortem template", "postmortem templates"
)
POSTMORTEMS_KIND: Kind[PostmortemsConfig] = Kind(POSTMORTEMS, "postmortems", "postmortems")
