"""The kind of a capability not built yet: postmortem templates.

It is a plain kind: configuration validates and stores it, and the API lists
it (:mod:`tocsin.admin.definition_routes`), but no capability acts on it yet.
It stays here until the postmortem capability exists and takes it into its own
folder, as paging, on-call and the status page did. Postmortem templates name
people (their authors and action item owners).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date as CalendarDate
from typing import Annotated, Any

from pydantic import Field, PlainValidator

from tocsin.config.catalog import Catalog, Entry, Kind
from tocsin.config.errors import FieldPath
from tocsin.config.fields import Spec, UserName, describe
from tocsin.config.kinds import KindSet
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into

POSTMORTEM_TEMPLATE = "postmortem_template"


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


POSTMORTEM_TEMPLATE_KIND: Kind[PostmortemTemplateConfig] = Kind(
    POSTMORTEM_TEMPLATE, "postmortem template", "postmortem templates"
)


def read_postmortem(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """The file's postmortem template, named after the file."""
    model = validate_into(PostmortemTemplateConfig, to_plain(node), source, (key,), catalog.issues)
    entry = Entry(source.stem, model, source, (key,))
    catalog.add(catalog.entries(POSTMORTEM_TEMPLATE_KIND), "postmortem template", entry)


def postmortem_people(catalog: Catalog) -> Iterator[tuple[str, Entry[Any], FieldPath]]:
    """The authors and action item owners of every postmortem template."""
    for template in catalog.entries(POSTMORTEM_TEMPLATE_KIND).values():
        model = template.model
        if model is None:
            continue
        for index, author in enumerate(model.authors):
            yield author, template, ("authors", index)
        for index, item in enumerate(model.action_items):
            if item.owner is not None:
                yield item.owner, template, ("action_items", index, "owner")


PLAIN_KINDS = KindSet(
    readers={"postmortem": read_postmortem},
    people=(postmortem_people,),
)
