"""The schemas of the public v2 status API: real answers pass, and each broken copy fails.

The examples are literals of tests/statuspage/examples.py: Statuspage's documentation and
answers of live pages. Every broken copy below must fail with the path that is wrong, so
that a schema which accepted anything could not pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.statuspage import examples
from tests.statuspage.statuspage_v2 import (
    ENDPOINTS,
    MOST_RECENT_INCIDENTS,
    Profile,
    check,
    json_path,
    schema_for,
)

Payload = dict[str, Any]

SUMMARY = "/api/v2/summary.json"
STATUS = "/api/v2/status.json"
COMPONENTS = "/api/v2/components.json"
INCIDENTS = "/api/v2/incidents.json"
UNRESOLVED = "/api/v2/incidents/unresolved.json"
MAINTENANCES = "/api/v2/scheduled-maintenances.json"
UPCOMING = "/api/v2/scheduled-maintenances/upcoming.json"
ACTIVE = "/api/v2/scheduled-maintenances/active.json"

LIVE_CASES = [
    pytest.param(endpoint, number, id=f"{endpoint}#{number}")
    for endpoint in ENDPOINTS
    for number in range(len(examples.live(endpoint)))
]


def fails(endpoint: str, payload: object, *fragments: str, profile: Profile = "live") -> str:
    """Check that ``payload`` is refused with a message holding every fragment."""
    with pytest.raises(AssertionError) as refusal:
        check(endpoint, payload, profile)
    message = str(refusal.value)
    assert message.startswith(f"{endpoint}: at $"), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def live(endpoint: str, number: int = 0) -> Payload:
    return examples.live(endpoint)[number]


def test_there_are_the_eight_endpoints_of_the_status_api() -> None:
    assert len(set(ENDPOINTS)) == 8
    assert all(endpoint.startswith("/api/v2/") for endpoint in ENDPOINTS)


@pytest.mark.parametrize("profile", ["live", "documented"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_schema_is_a_valid_draft_2020_12_schema(endpoint: str, profile: Profile) -> None:
    Draft202012Validator.check_schema(schema_for(endpoint, profile))


def test_an_unknown_endpoint_has_no_schema() -> None:
    with pytest.raises(KeyError, match="not an endpoint"):
        schema_for("/api/v2/pages.json")


@pytest.mark.parametrize(("endpoint", "number"), LIVE_CASES)
def test_the_answers_of_live_pages_pass(endpoint: str, number: int) -> None:
    check(endpoint, live(endpoint, number))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_documented_examples_pass_the_documented_profile(endpoint: str) -> None:
    check(endpoint, examples.documented(endpoint), "documented")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_documented_examples_lack_what_live_pages_always_send(endpoint: str) -> None:
    fails(endpoint, examples.documented(endpoint), "$.page:", "'time_zone' is a required")


def test_the_documented_summary_lacks_the_live_component_fields_too() -> None:
    payload = examples.documented(SUMMARY)
    payload["page"]["time_zone"] = "Etc/UTC"
    fails(SUMMARY, payload, "$.components[0]", "is a required property")


def test_a_group_needs_its_children_in_both_profiles() -> None:
    for profile in ("live", "documented"):
        payload = live(COMPONENTS, 1)
        del payload["components"][1]["components"]
        fails(COMPONENTS, payload, "$.components[1]", "'components' is a required", profile=profile)


# --- Wrong indicator, missing page id, component status, affected_components ---------


@pytest.mark.parametrize("endpoint", [SUMMARY, STATUS])
@pytest.mark.parametrize("indicator", ["green", "maintenance", "None", ""])
def test_a_wrong_indicator_fails(endpoint: str, indicator: str) -> None:
    payload = live(endpoint)
    payload["status"]["indicator"] = indicator
    fails(endpoint, payload, "$.status.indicator", "is not one of")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_missing_page_id_fails(endpoint: str) -> None:
    payload = live(endpoint)
    del payload["page"]["id"]
    fails(endpoint, payload, "at $.page:", "'id' is a required property")


@pytest.mark.parametrize("status", ["down", "Operational", "degraded", "maintenance"])
def test_a_component_status_outside_the_enum_fails(status: str) -> None:
    payload = live(SUMMARY)
    payload["components"][1]["status"] = status
    fails(SUMMARY, payload, "$.components[1].status", "is not one of")


def test_a_component_status_outside_the_enum_fails_inside_an_incident() -> None:
    payload = live(INCIDENTS)
    payload["incidents"][0]["components"][0]["status"] = "down"
    fails(INCIDENTS, payload, "$.incidents[0].components[0].status", "is not one of")


def _affected(payload: Payload) -> Payload:
    first: Payload = payload["incidents"][0]["incident_updates"][1]["affected_components"][0]
    return first


def test_affected_components_with_a_renamed_key_fail() -> None:
    payload = live(INCIDENTS)
    affected = _affected(payload)
    affected["component_id"] = affected.pop("code")
    fails(
        INCIDENTS,
        payload,
        "$.incidents[0].incident_updates[1].affected_components[0]",
        "'code' is a required property",
    )


def test_affected_components_with_an_extra_key_fail() -> None:
    payload = live(INCIDENTS)
    _affected(payload)["status"] = "operational"
    fails(INCIDENTS, payload, "affected_components[0]", "'status' was unexpected")


def test_affected_components_with_a_status_outside_the_enum_fail() -> None:
    payload = live(INCIDENTS)
    _affected(payload)["new_status"] = "degraded"
    fails(INCIDENTS, payload, "affected_components[0].new_status", "is not one of")


def test_the_placeholder_of_old_pages_in_affected_components_fails() -> None:
    fails(
        MAINTENANCES,
        examples.PLACEHOLDER_MAINTENANCE_2019,
        "affected_components[0]",
        "'code' is a required property",
    )


# --- Types, nulls, timestamps, unknown keys ---------------------------------------------------

Mutation = Callable[[Payload], None]


def _set(path: tuple[str | int, ...], value: object) -> Mutation:
    def mutate(payload: Payload) -> None:
        target: Any = payload
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _delete(path: tuple[str | int, ...]) -> Mutation:
    def mutate(payload: Payload) -> None:
        target: Any = payload
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


INCIDENT_0 = ("incidents", 0)
UPDATE_0 = (*INCIDENT_0, "incident_updates", 0)

BROKEN_INCIDENTS = {
    "timestamp without offset": (
        _set(("page", "updated_at"), "2022-02-15T13:37:37.407"),
        "$.page.updated_at",
    ),
    "date only": (_set((*INCIDENT_0, "created_at"), "2022-02-15"), "$.incidents[0].created_at"),
    "impossible date": (
        _set((*INCIDENT_0, "started_at"), "2022-02-30T10:00:00Z"),
        "$.incidents[0].started_at",
    ),
    "epoch number": (_set((*INCIDENT_0, "updated_at"), 1644961057), "$.incidents[0].updated_at"),
    "null name": (_set((*INCIDENT_0, "name"), None), "$.incidents[0].name"),
    "null started_at": (_set((*INCIDENT_0, "started_at"), None), "$.incidents[0].started_at"),
    "missing started_at": (_delete((*INCIDENT_0, "started_at")), "'started_at' is a required"),
    "missing components": (_delete((*INCIDENT_0, "components")), "'components' is a required"),
    "impact maintenance on an incident": (
        _set((*INCIDENT_0, "impact"), "maintenance"),
        "$.incidents[0].impact",
    ),
    "status of a maintenance": (
        _set((*INCIDENT_0, "status"), "completed"),
        "$.incidents[0].status",
    ),
    "shortlink not a URL": (_set((*INCIDENT_0, "shortlink"), "stspg.io/x"), ".shortlink"),
    "unknown incident key": (_set((*INCIDENT_0, "severity"), "minor"), "'severity' was unexpected"),
    "unknown top-level key": (_set(("meta",), {}), "'meta' was unexpected"),
    "update status unknown": (_set((*UPDATE_0, "status"), "fixed"), ".incident_updates[0].status"),
    "update body null": (_set((*UPDATE_0, "body"), None), ".incident_updates[0].body"),
    "update missing tweet_id": (_delete((*UPDATE_0, "tweet_id")), "'tweet_id' is a required"),
    "update notifications as text": (
        _set((*UPDATE_0, "deliver_notifications"), "true"),
        ".deliver_notifications",
    ),
    "affected components as an object": (
        _set((*UPDATE_0, "affected_components"), {}),
        ".affected_components",
    ),
    "page url not a URL": (_set(("page", "url"), "discordstatus.com"), "$.page.url"),
    "page time_zone null": (_set(("page", "time_zone"), None), "$.page.time_zone"),
}


@pytest.mark.parametrize("name", BROKEN_INCIDENTS)
def test_a_broken_incident_list_fails(name: str) -> None:
    mutate, fragment = BROKEN_INCIDENTS[name]
    payload = live(INCIDENTS)
    mutate(payload)
    fails(INCIDENTS, payload, fragment)


COMPONENT_1 = ("components", 1)

BROKEN_COMPONENTS = {
    "position as text": (_set((*COMPONENT_1, "position"), "2"), "$.components[1].position"),
    "position a fraction": (_set((*COMPONENT_1, "position"), 1.5), "$.components[1].position"),
    "start_date a date-time": (
        _set((*COMPONENT_1, "start_date"), "2021-08-11T00:00:00Z"),
        "$.components[1].start_date",
    ),
    "showcase null": (_set((*COMPONENT_1, "showcase"), None), "$.components[1].showcase"),
    "missing only_show_if_degraded": (
        _delete((*COMPONENT_1, "only_show_if_degraded")),
        "'only_show_if_degraded' is a required",
    ),
    "children on a non-group": (
        _set((*COMPONENT_1, "components"), ["br0l2tvcx85d"]),
        "$.components[1]: False schema does not allow",
    ),
    "unknown component key": (_set((*COMPONENT_1, "colour"), "green"), "'colour' was unexpected"),
    "missing status": (_delete(("status",)), "'status' is a required"),
    "status without description": (_delete(("status", "description")), "$.status"),
}


@pytest.mark.parametrize("name", BROKEN_COMPONENTS)
def test_a_broken_summary_fails(name: str) -> None:
    mutate, fragment = BROKEN_COMPONENTS[name]
    payload = live(SUMMARY)
    mutate(payload)
    fails(SUMMARY, payload, fragment)


# --- What each list may hold ----------------------------------------------------------------


def _many(incident: Payload, count: int) -> list[Payload]:
    return [
        {**incident, "id": f"incident{number:04d}", "incident_updates": []}
        for number in range(count)
    ]


def test_incidents_holds_at_most_the_fifty_most_recent() -> None:
    payload = live(INCIDENTS)
    incident = payload["incidents"][0]
    payload["incidents"] = _many(incident, MOST_RECENT_INCIDENTS)
    check(INCIDENTS, payload)
    payload["incidents"] = _many(incident, MOST_RECENT_INCIDENTS + 1)
    fails(INCIDENTS, payload, "at $.incidents:", "is too long")


@pytest.mark.parametrize("status", ["resolved", "postmortem"])
def test_unresolved_refuses_a_resolved_incident(status: str) -> None:
    payload = live(UNRESOLVED, 1)
    payload["incidents"][0]["status"] = status
    fails(UNRESOLVED, payload, "$.incidents[0].status", "is not one of")


def test_unresolved_refuses_an_incident_with_resolved_at() -> None:
    payload = live(UNRESOLVED, 1)
    payload["incidents"][0]["resolved_at"] = "2019-06-24T07:00:00.000-07:00"
    fails(UNRESOLVED, payload, "$.incidents[0].resolved_at", "is not of type 'null'")


def test_the_summary_holds_only_unresolved_incidents() -> None:
    payload = live(SUMMARY)
    payload["incidents"] = [examples.unresolved_incident()]
    payload["incidents"][0]["page_id"] = payload["page"]["id"]
    check(SUMMARY, payload)
    payload["incidents"][0]["status"] = "resolved"
    fails(SUMMARY, payload, "$.incidents[0].status")


def _maintenance(status: str, page: Payload) -> Payload:
    maintenance: Payload = live(MAINTENANCES)["scheduled_maintenances"][0]
    maintenance["status"] = status
    maintenance["page_id"] = page["id"]
    return maintenance


@pytest.mark.parametrize(
    ("endpoint", "allowed", "refused"),
    [
        (UPCOMING, ["scheduled"], ["in_progress", "verifying", "completed"]),
        (ACTIVE, ["in_progress", "verifying"], ["scheduled", "completed"]),
        (SUMMARY, ["scheduled", "in_progress", "verifying"], ["completed"]),
        (MAINTENANCES, ["scheduled", "in_progress", "verifying", "completed"], ["resolved"]),
    ],
)
def test_each_maintenance_list_holds_its_statuses(
    endpoint: str, allowed: list[str], refused: list[str]
) -> None:
    for status in allowed:
        payload = live(endpoint)
        payload["scheduled_maintenances"] = [_maintenance(status, payload["page"])]
        check(endpoint, payload)
    for status in refused:
        payload = live(endpoint)
        payload["scheduled_maintenances"] = [_maintenance(status, payload["page"])]
        fails(endpoint, payload, "$.scheduled_maintenances[0].status", "is not one of")


def test_a_maintenance_needs_its_window() -> None:
    payload = live(MAINTENANCES)
    del payload["scheduled_maintenances"][0]["scheduled_until"]
    fails(MAINTENANCES, payload, "'scheduled_until' is a required property")


def test_a_maintenance_may_have_impact_maintenance() -> None:
    payload = live(MAINTENANCES)
    payload["scheduled_maintenances"][0]["impact"] = "maintenance"
    check(MAINTENANCES, payload)


# --- References between objects ---------------------------------------------------------------


def test_a_component_of_another_page_fails() -> None:
    payload = live(COMPONENTS)
    payload["components"][0]["page_id"] = "otherpage123"
    fails(COMPONENTS, payload, "$.components[0].page_id", "is not the page's id")


def test_an_incident_of_another_page_fails() -> None:
    payload = live(INCIDENTS)
    payload["incidents"][0]["page_id"] = "otherpage123"
    fails(INCIDENTS, payload, "$.incidents[0].page_id", "is not the page's id")


def test_an_update_of_another_incident_fails() -> None:
    payload = live(MAINTENANCES)
    payload["scheduled_maintenances"][0]["incident_updates"][1]["incident_id"] = "n4njzfn1mqy0"
    fails(MAINTENANCES, payload, "$.scheduled_maintenances[0].incident_updates[1].incident_id")


def test_a_group_child_missing_from_the_list_fails() -> None:
    payload = live(COMPONENTS, 1)
    payload["components"][1]["components"].append("fc8y53dfg85y")
    fails(COMPONENTS, payload, "$.components[1].components", "'fc8y53dfg85y' is not a component")


def test_a_group_child_of_another_group_fails() -> None:
    payload = live(COMPONENTS, 1)
    payload["components"][0]["group_id"] = "zzzzzzzzzzzz"
    fails(COMPONENTS, payload, "$.components[1].components", "has another group_id")


def test_a_payload_that_is_not_an_object_fails() -> None:
    fails(STATUS, [], "at $:", "is not of type 'object'")


def test_json_path_names_keys_and_indexes() -> None:
    assert json_path(()) == "$"
    assert json_path(("incidents", 0, "incident_updates", 12, "body")) == (
        "$.incidents[0].incident_updates[12].body"
    )
