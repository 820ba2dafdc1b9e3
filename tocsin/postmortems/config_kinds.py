"""Reading ``postmortem:`` (a template) and ``postmortems:`` (the settings) from files.

A template is named after its file. The settings must sit in one file; the
severities they require a postmortem for and the template they name must be
defined (the severities: in the files, else the seed's default scale).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tocsin.config.catalog import Catalog, Entry
from tocsin.config.errors import FieldPath
from tocsin.config.kinds import KindSet, named_items
from tocsin.config.loader import SourceFile, to_plain
from tocsin.config.messages import validate_into
from tocsin.config.organisation import TEAM_KIND
from tocsin.config.references import unknown
from tocsin.domain.severity import DEFAULT_SCALE, level_key
from tocsin.incidents.config_schema import SEVERITY_KIND
from tocsin.postmortems.config_schema import (
    POSTMORTEM_TEMPLATE_KIND,
    POSTMORTEMS_KIND,
    POSTMORTEMS_NAME,
    PostmortemsConfig,
    PostmortemTemplateConfig,
)
from tocsin.postmortems.trackers import ISSUE_TRACKER_KIND, IssueTrackerConfig


def read_postmortem(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """The file's postmortem template, named after the file."""
    model = validate_into(PostmortemTemplateConfig, to_plain(node), source, (key,), catalog.issues)
    entry = Entry(source.stem, model, source, (key,))
    catalog.add(catalog.entries(POSTMORTEM_TEMPLATE_KIND), "postmortem template", entry)


def read_settings(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    if not catalog.claim_singleton(source, key, "postmortems"):
        return
    model = validate_into(PostmortemsConfig, to_plain(node), source, (key,), catalog.issues)
    entry = Entry(POSTMORTEMS_NAME, model, source, (key,))
    catalog.entries(POSTMORTEMS_KIND)[POSTMORTEMS_NAME] = entry


def check_settings(catalog: Catalog) -> None:
    """Required severities are configured levels; the template is defined."""
    entry = catalog.entries(POSTMORTEMS_KIND).get(POSTMORTEMS_NAME)
    settings = entry.model if entry is not None else None
    if entry is None or settings is None:
        return
    configured = catalog.entries(SEVERITY_KIND)
    levels = {key: level.name for key, level in configured.items()} or {
        level_key(level.level): level.level for level in DEFAULT_SCALE
    }
    for index, level in enumerate(settings.required_for):
        if level_key(level) not in levels:
            message = unknown("severity level", level, list(levels.values()))
            catalog.issues.append(entry.issue(message, at=("required_for", index)))
    templates = catalog.entries(POSTMORTEM_TEMPLATE_KIND)
    if settings.template is not None and settings.template not in templates:
        message = unknown("postmortem template", settings.template, list(templates))
        catalog.issues.append(entry.issue(message, at=("template",)))


def read_trackers(catalog: Catalog, source: SourceFile, key: str, node: Any) -> None:
    """Issue trackers, a mapping by name."""
    for name, data, path in named_items(catalog, source, key, node, "issue trackers"):
        model = validate_into(IssueTrackerConfig, data, source, path, catalog.issues)
        catalog.add(
            catalog.entries(ISSUE_TRACKER_KIND), "issue tracker", Entry(name, model, source, path)
        )


def check_trackers(catalog: Catalog) -> None:
    """The teams a tracker takes items of are defined."""
    teams = catalog.entries(TEAM_KIND)
    for entry in catalog.entries(ISSUE_TRACKER_KIND).values():
        if entry.model is None:
            continue
        for index, team in enumerate(entry.model.teams):
            if team not in teams:
                message = unknown("team", team, list(teams))
                catalog.issues.append(entry.issue(message, at=("teams", index)))


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


POSTMORTEM_KINDS = KindSet(
    readers={
        "postmortem": read_postmortem,
        "postmortems": read_settings,
        "issue_trackers": read_trackers,
    },
    checks=(check_settings, check_trackers),
    people=(postmortem_people,),
)
