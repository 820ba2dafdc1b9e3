"""Changing an incident's descriptive fields: one timeline entry per field that changed.

The fields: title, summary, impact_started_at, services, tags, impact
(users_affected, revenue_impact, error_budget_consumed), links, and the
custom fields that configuration defines (:mod:`tocsin.incidents.custom_fields`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tocsin.domain.refusals import Invalid
from tocsin.domain.timeline import EntryDraft, EntryKind, TimelineEntry
from tocsin.incidents import editing, records
from tocsin.incidents.editing import Actor
from tocsin.incidents.tables import Incident, IncidentService, IncidentTag

IMPACT_FIELDS = ("users_affected", "revenue_impact", "error_budget_consumed")


def _shown(value: Any) -> str:
    """A value as it appears in a field-change entry's details: JSON, times in ISO 8601."""
    if isinstance(value, datetime):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _wanted(
    session: Session, incident: Incident, changes: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Each field asked for, with its value before and after; 422 naming a wrong one."""
    new: dict[str, tuple[Any, Any]] = {}
    if "title" in changes:
        title = str(changes["title"]).strip()
        if not title:
            raise Invalid("title", "cannot be empty")
        new["title"] = (incident.title, title)
    if "summary" in changes:
        new["summary"] = (incident.summary, str(changes["summary"] or "").strip())
    if "impact_started_at" in changes:
        started = changes["impact_started_at"]
        editing.check_times(incident.detected_at, started)
        new["impact_started_at"] = (incident.impact_started_at, started)
    if "services" in changes:
        new["services"] = (
            records.services(session, incident.id),
            editing.names("services", changes["services"]),
        )
    if "tags" in changes:
        new["tags"] = (records.tags(session, incident.id), editing.names("tags", changes["tags"]))
    for name, value in dict(changes.get("impact") or {}).items():
        if name not in IMPACT_FIELDS:
            raise Invalid(f"impact.{name}", f"expected one of {', '.join(IMPACT_FIELDS)}")
        new[f"impact.{name}"] = (getattr(incident, name), value)
    if "links" in changes:
        new["links"] = (incident.links, [dict(link) for link in changes["links"]])
    if "custom_fields" in changes:
        merged = editing.custom_fields(session, incident.custom_fields, changes["custom_fields"])
        new["custom_fields"] = (incident.custom_fields, merged)
    return new


def update_fields(
    session: Session, incident: Incident, changes: Mapping[str, Any], actor: Actor, now: datetime
) -> list[TimelineEntry]:
    """Apply the given fields; one timeline entry per field whose value changed.

    ``changes`` holds only the fields to change: title, summary,
    impact_started_at, services, tags, impact (a partial mapping of
    users_affected, revenue_impact, error_budget_consumed), links, and
    custom_fields (a partial mapping; null removes a field).
    """
    editing.require_open_record(incident)
    entries = []
    for name, (before, after) in _wanted(session, incident, changes).items():
        if before == after:
            continue
        _apply_field(session, incident, name, after)
        details = {"field": name, "from": _shown(before), "to": _shown(after)}
        entries.append(
            editing.append(
                session,
                incident,
                EntryDraft(
                    kind=EntryKind.FIELD_CHANGE,
                    text=f"{name} changed from {details['from']} to {details['to']}",
                    author=actor.name,
                    details=details,
                ),
                now,
            )
        )
        editing.audit(session, incident, actor, "update", now, **details)
    return entries


def _apply_field(session: Session, incident: Incident, name: str, value: Any) -> None:
    if name == "services":
        editing.set_names(session, IncidentService, incident.id, value)
    elif name == "tags":
        editing.set_names(session, IncidentTag, incident.id, value)
    elif name.startswith("impact."):
        setattr(incident, name.removeprefix("impact."), value)
    else:
        setattr(incident, name, value)
