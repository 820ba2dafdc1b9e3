"""Strict JSON Schemas (Draft 2020-12) of the eight endpoints of the public v2 status API.

Tocsin serves the read API that Atlassian Statuspage serves on every hosted page
(``/api/v2/...``), so that a consumer of that API only has to change a URL. These
schemas are what the tests hold Tocsin's answers to. ``check(endpoint, payload)``
raises ``AssertionError`` naming the JSON path of the first violation.

Sources
-------
1. Statuspage's own documentation of the public API, the ``/api`` page of every
   hosted status page (the same text on each page; examples of ``summary.json``,
   ``status.json``, ``components.json``, ``incidents.json``, ``incidents/unresolved.json``
   and the three ``scheduled-maintenances`` lists). Its examples are old and trimmed:
   the ``page`` object has no ``time_zone``; components in ``summary.json`` have no
   ``showcase``/``start_date``/``group_id``/``group``/``only_show_if_degraded``
   (its ``components.json`` example has them); incidents have no ``started_at`` or
   ``components``; incident updates have no ``affected_components``,
   ``deliver_notifications``, ``custom_tweet`` or ``tweet_id``.
   The endpoint descriptions there give the list rules checked below: ``incidents.json``
   is "the 50 most recent incidents"; ``incidents/unresolved.json`` holds incidents in
   the Investigating, Identified or Monitoring state; ``upcoming.json`` holds
   maintenances in the Scheduled state, ``active.json`` those In Progress or Verifying;
   ``summary.json`` holds the unresolved incidents and the upcoming or in-progress
   maintenances. The status indicator is documented as one of none, minor, major,
   critical; component statuses as operational, degraded_performance, partial_outage,
   major_outage, and under_maintenance appears on every page under maintenance.
2. Answers of live hosted pages, as kept verbatim in public code that consumes them
   (test fixtures and API notes of Discord's page, 2019 and 2022, with all eight
   endpoints; GitHub's ``summary.json``, 2024; Cloudflare's ``incidents.json``, 2019).
   Every one of them sends every field of the documented examples plus the fields listed
   above, so the default profile (``"live"``) requires all of them:

   - page: id, name, url, time_zone, updated_at
   - component: id, name, status, created_at, updated_at, position, description,
     showcase, start_date (a date ``YYYY-MM-DD`` or null), group_id, page_id, group,
     only_show_if_degraded; a group (``group: true``) also lists its children's ids in
     ``components``, and only a group has that key
   - incident: id, name, status, created_at, updated_at, monitoring_at, resolved_at,
     impact, shortlink, started_at, page_id, incident_updates, components
   - scheduled maintenance: the incident's fields plus scheduled_for, scheduled_until
   - incident update: id, status, body, incident_id, created_at, updated_at, display_at,
     affected_components (null, or a list of {code, name, old_status, new_status}),
     deliver_notifications, custom_tweet, tweet_id

   The ``"documented"`` profile requires only what the documentation's examples show,
   so that those examples can be checked as they are; types, enums and unknown keys
   are checked alike in both profiles.

3. Statuspage's help page "Enable webhook notifications" for the component update
   webhook that subscribers receive (not an endpoint of the API, checked by
   ``check_component_update``): ``meta`` (unsubscribe, documentation), ``page`` (id,
   status_indicator, status_description), ``component_update`` (created_at, new_status,
   old_status, id, component_id) and ``component`` (created_at, id, name, status).

Choices
-------
- Nullable, as in both sources: component ``description``, ``start_date``,
  ``group_id``; incident ``monitoring_at``, ``resolved_at``; update ``display_at``
  (null in Statuspage's published OpenAPI of the same API), ``affected_components``,
  ``custom_tweet``, ``tweet_id``. Everything else is never null.
- Timestamps are ISO-8601 date-times with seconds and an offset (``Z`` or ``+hh:mm``),
  optionally with a fraction, and must be real dates.
- Unknown keys are refused everywhere, except the optional incident fields that
  Statuspage's OpenAPI lists (``postmortem_*``, ``scheduled_remind_prior``,
  ``scheduled_reminded_at``), which are typed when present.
- Old pages show a placeholder ``affected_components: [{"name": "No components were
  affected by this update."}]``; it is refused: consumers read ``code`` and the
  statuses, and null says the same.
- Live pages have been seen to answer ``indicator: "maintenance"`` during maintenance.
  It is refused: it is undocumented, and consumers written to the documentation do not
  know it (statuspage-prometheus-exporter reads it as "down").
- Beyond the schema, ``check`` also holds the references together: each ``page_id``
  is the page's id, each update's ``incident_id`` is its incident's id, and each
  group's children are components of the list whose ``group_id`` is that group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

Profile = Literal["live", "documented"]
Schema = dict[str, Any]

ENDPOINTS: tuple[str, ...] = (
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
)

INDICATORS = ("none", "minor", "major", "critical")
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
UNRESOLVED_STATUSES = ("investigating", "identified", "monitoring")
INCIDENT_STATUSES = (*UNRESOLVED_STATUSES, "resolved", "postmortem")
UPCOMING_STATUSES = ("scheduled",)
ACTIVE_STATUSES = ("in_progress", "verifying")
MAINTENANCE_STATUSES = (*UPCOMING_STATUSES, *ACTIVE_STATUSES, "completed")
INCIDENT_IMPACTS = ("none", "minor", "major", "critical")
MAINTENANCE_IMPACTS = (*INCIDENT_IMPACTS, "maintenance")
MOST_RECENT_INCIDENTS = 50

_DATE_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # a format speaks of strings only; "type" refuses the rest
    if not re.match(_DATE_TIME, value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.match(_DATE, value):
        return False
    date.fromisoformat(value)
    return True


def _timestamp(*, nullable: bool = False) -> Schema:
    kinds: list[str] | str = ["string", "null"] if nullable else "string"
    return {"type": kinds, "pattern": _DATE_TIME, "format": "date-time"}


def _text(*, nullable: bool = False, non_empty: bool = False) -> Schema:
    schema: Schema = {"type": ["string", "null"] if nullable else "string"}
    if non_empty:
        schema["minLength"] = 1
    return schema


def _enum(values: Iterable[str]) -> Schema:
    return {"type": "string", "enum": list(values)}


def _object(properties: Mapping[str, Schema], required: Iterable[str]) -> Schema:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }


def _page(profile: Profile) -> Schema:
    properties = {
        "id": _text(non_empty=True),
        "name": _text(non_empty=True),
        "url": {"type": "string", "pattern": r"^https?://\S+$"},
        "time_zone": _text(non_empty=True),
        "updated_at": _timestamp(),
    }
    documented = ("id", "name", "url", "updated_at")
    return _object(properties, properties if profile == "live" else documented)


def _status() -> Schema:
    properties = {"indicator": _enum(INDICATORS), "description": _text(non_empty=True)}
    return _object(properties, properties)


def _component(profile: Profile) -> Schema:
    properties: dict[str, Schema] = {
        "id": _text(non_empty=True),
        "name": _text(non_empty=True),
        "status": _enum(COMPONENT_STATUSES),
        "created_at": _timestamp(),
        "updated_at": _timestamp(),
        "position": {"type": "integer", "minimum": 0},
        "description": _text(nullable=True),
        "showcase": {"type": "boolean"},
        "start_date": {"type": ["string", "null"], "pattern": _DATE, "format": "date"},
        "group_id": _text(nullable=True, non_empty=True),
        "page_id": _text(non_empty=True),
        "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
        "components": {
            "type": "array",
            "items": _text(non_empty=True),
            "minItems": 1,
            "uniqueItems": True,
        },
    }
    documented = (
        "id", "name", "status", "created_at", "updated_at", "position", "description", "page_id",
    )  # fmt: skip
    live = [key for key in properties if key != "components"]
    schema = _object(properties, live if profile == "live" else documented)
    schema["if"] = {"required": ["group"], "properties": {"group": {"const": True}}}
    schema["then"] = {"required": ["components"]}
    schema["else"] = {"properties": {"components": False}}  # only a group has children
    return schema


def _affected_component() -> Schema:
    properties = {
        "code": _text(non_empty=True),
        "name": _text(non_empty=True),
        "old_status": _enum(COMPONENT_STATUSES),
        "new_status": _enum(COMPONENT_STATUSES),
    }
    return _object(properties, properties)


def _update(profile: Profile, statuses: Iterable[str]) -> Schema:
    properties: dict[str, Schema] = {
        "id": _text(non_empty=True),
        "status": _enum(statuses),
        "body": _text(),
        "incident_id": _text(non_empty=True),
        "created_at": _timestamp(),
        "updated_at": _timestamp(),
        "display_at": _timestamp(nullable=True),
        "affected_components": {
            "type": ["array", "null"],
            "items": _affected_component(),
        },
        "deliver_notifications": {"type": "boolean"},
        "custom_tweet": _text(nullable=True),
        "tweet_id": _text(nullable=True),
    }
    documented = ("id", "status", "body", "incident_id", "created_at", "updated_at", "display_at")
    return _object(properties, properties if profile == "live" else documented)


_OPTIONAL_INCIDENT_FIELDS: dict[str, Schema] = {
    "postmortem_body": _text(nullable=True),
    "postmortem_body_last_updated_at": _timestamp(nullable=True),
    "postmortem_ignored": {"type": "boolean"},
    "postmortem_notified_subscribers": {"type": "boolean"},
    "postmortem_notified_twitter": {"type": "boolean"},
    "postmortem_published_at": _timestamp(nullable=True),
    "scheduled_remind_prior": {"type": "boolean"},
    "scheduled_reminded_at": _timestamp(nullable=True),
}


def _incident_like(
    profile: Profile, statuses: Iterable[str], *, maintenance: bool, unresolved: bool = False
) -> Schema:
    """An incident, or with ``maintenance`` a scheduled maintenance, in ``statuses`` only."""
    all_statuses = MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES
    properties: dict[str, Schema] = {
        "id": _text(non_empty=True),
        "name": _text(non_empty=True),
        "status": _enum(statuses),
        "created_at": _timestamp(),
        "updated_at": _timestamp(),
        "monitoring_at": _timestamp(nullable=True),
        "resolved_at": {"type": "null"} if unresolved else _timestamp(nullable=True),
        "impact": _enum(MAINTENANCE_IMPACTS if maintenance else INCIDENT_IMPACTS),
        "shortlink": {"type": "string", "pattern": r"^https?://\S+$"},
        "started_at": _timestamp(),
        "page_id": _text(non_empty=True),
        "incident_updates": {"type": "array", "items": _update(profile, all_statuses)},
        "components": {"type": "array", "items": _component(profile)},
    }
    documented = [
        "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at",
        "impact", "shortlink", "page_id", "incident_updates",
    ]  # fmt: skip
    if maintenance:
        properties["scheduled_for"] = _timestamp()
        properties["scheduled_until"] = _timestamp()
        documented += ["scheduled_for", "scheduled_until"]
    required = list(properties) if profile == "live" else documented
    schema = _object({**properties, **_OPTIONAL_INCIDENT_FIELDS}, required)
    return schema


def _list(item: Schema, *, max_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": item}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def _envelope(profile: Profile, **fields: Schema) -> Schema:
    properties = {"page": _page(profile), **fields}
    schema = _object(properties, properties)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_for(endpoint: str, profile: Profile = "live") -> Schema:
    """The JSON Schema of one of ``ENDPOINTS`` in a profile ("live" by default)."""
    incident = _incident_like(profile, INCIDENT_STATUSES, maintenance=False)
    unresolved = _incident_like(profile, UNRESOLVED_STATUSES, maintenance=False, unresolved=True)
    maintenances = {
        "all": MAINTENANCE_STATUSES,
        "upcoming": UPCOMING_STATUSES,
        "active": ACTIVE_STATUSES,
        "summary": (*UPCOMING_STATUSES, *ACTIVE_STATUSES),
    }
    maint = {
        name: _incident_like(profile, statuses, maintenance=True)
        for name, statuses in maintenances.items()
    }
    components = _list(_component(profile))
    schemas = {
        "/api/v2/summary.json": _envelope(
            profile,
            status=_status(),
            components=components,
            incidents=_list(unresolved),
            scheduled_maintenances=_list(maint["summary"]),
        ),
        "/api/v2/status.json": _envelope(profile, status=_status()),
        "/api/v2/components.json": _envelope(profile, components=components),
        "/api/v2/incidents.json": _envelope(
            profile, incidents=_list(incident, max_items=MOST_RECENT_INCIDENTS)
        ),
        "/api/v2/incidents/unresolved.json": _envelope(profile, incidents=_list(unresolved)),
        "/api/v2/scheduled-maintenances.json": _envelope(
            profile, scheduled_maintenances=_list(maint["all"])
        ),
        "/api/v2/scheduled-maintenances/upcoming.json": _envelope(
            profile, scheduled_maintenances=_list(maint["upcoming"])
        ),
        "/api/v2/scheduled-maintenances/active.json": _envelope(
            profile, scheduled_maintenances=_list(maint["active"])
        ),
    }
    if endpoint not in schemas:
        raise KeyError(f"not an endpoint of the status API: {endpoint!r}")
    return schemas[endpoint]


def json_path(parts: Iterable[str | int]) -> str:
    """``$.incidents[0].name`` for the parts ``("incidents", 0, "name")``."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _document_order(payload: object, path: Iterable[str | int]) -> tuple[int, ...]:
    """Where ``path`` sits in ``payload`` as written: keys by their place, items by index."""
    places: list[int] = []
    node = payload
    for part in path:
        if isinstance(node, Mapping) and not isinstance(part, int):
            places.append(list(node).index(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            places.append(part)
            node = node[part]
        else:
            break
    return tuple(places)


def _schema_violation(endpoint: str, payload: object, profile: Profile) -> str | None:
    """The first violation as the payload is written (ties: the most relevant one)."""
    validator = Draft202012Validator(schema_for(endpoint, profile), format_checker=_FORMATS)
    errors = list(validator.iter_errors(payload))
    if not errors:
        return None
    first = min(_document_order(payload, error.absolute_path) for error in errors)
    ties = [error for error in errors if _document_order(payload, error.absolute_path) == first]
    error: ValidationError | None = best_match(ties)
    assert error is not None
    return f"{endpoint}: at {json_path(error.absolute_path)}: {error.message}"


def _reference_violations(payload: Mapping[str, Any]) -> Iterable[str]:
    """References that a schema cannot see: page ids, incident ids, group children."""
    page_id = payload["page"]["id"]
    components: list[dict[str, Any]] = payload.get("components", [])
    by_id = {component["id"]: component for component in components}
    for index, component in enumerate(components):
        where = json_path(("components", index))
        if "page_id" in component and component["page_id"] != page_id:
            yield f"at {where}.page_id: {component['page_id']!r} is not the page's id {page_id!r}"
        for child in component.get("components", []):
            if child not in by_id:
                yield f"at {where}.components: {child!r} is not a component of the list"
            elif by_id[child].get("group_id", component["id"]) != component["id"]:
                yield f"at {where}.components: {child!r} has another group_id"
    for key in ("incidents", "scheduled_maintenances"):
        for index, incident in enumerate(payload.get(key, [])):
            where = json_path((key, index))
            if incident["page_id"] != page_id:
                yield f"at {where}.page_id: {incident['page_id']!r} is not the page's id"
            for number, update in enumerate(incident["incident_updates"]):
                if update["incident_id"] != incident["id"]:
                    yield (
                        f"at {where}.incident_updates[{number}].incident_id: "
                        f"{update['incident_id']!r} is not the incident's id {incident['id']!r}"
                    )


def check(endpoint: str, payload: object, profile: Profile = "live") -> None:
    """Raise ``AssertionError`` naming the path of the first violation of ``endpoint``'s rules."""
    violation = _schema_violation(endpoint, payload, profile)
    if violation is not None:
        raise AssertionError(violation)
    assert isinstance(payload, Mapping)
    for reference in _reference_violations(payload):
        raise AssertionError(f"{endpoint}: {reference}")


def component_update_schema() -> Schema:
    """Statuspage's component update webhook: every documented field, nothing else."""
    link = {"type": "string", "pattern": r"^https?://\S+$"}
    meta = _object({"unsubscribe": link, "documentation": link}, ("unsubscribe", "documentation"))
    page = {
        "id": _text(non_empty=True),
        "status_indicator": _enum(INDICATORS),
        "status_description": _text(non_empty=True),
    }
    change = {
        "created_at": _timestamp(),
        "new_status": _enum(COMPONENT_STATUSES),
        "old_status": _enum(COMPONENT_STATUSES),
        "id": _text(non_empty=True),
        "component_id": _text(non_empty=True),
    }
    component = {
        "created_at": _timestamp(),
        "id": _text(non_empty=True),
        "name": _text(non_empty=True),
        "status": _enum(COMPONENT_STATUSES),
    }
    properties = {
        "meta": meta,
        "page": _object(page, page),
        "component_update": _object(change, change),
        "component": _object(component, component),
    }
    schema = _object(properties, properties)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def check_component_update(payload: object) -> None:
    """Raise ``AssertionError`` naming the first violation of the component update webhook."""
    validator = Draft202012Validator(component_update_schema(), format_checker=_FORMATS)
    error: ValidationError | None = best_match(validator.iter_errors(payload))
    if error is not None:
        raise AssertionError(
            f"component update: at {json_path(error.absolute_path)}: {error.message}"
        )
    assert isinstance(payload, Mapping)
    change, component = payload["component_update"], payload["component"]
    assert change["component_id"] == component["id"], "component_update names another component"
    assert change["old_status"] != change["new_status"], "a component update changes the status"
