"""Input no database can hold gets 422 naming the field; bodies over the limit get 413;
errors never echo a huge value back, and can echo any value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.incidents.support import API, client_without_engine, declare, get
from tests.support.event_loops import run_to_completion
from tocsin.app.service import Tocsin
from tocsin.http import errors
from tocsin.kernel.settings import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_ALERT_BODY_ENV,
    MAX_API_BODY_ENV,
    Settings,
)

EARLY = "0001-01-01T00:00+14:00"
LATE = "9999-12-31T23:00-14:00"
HUGE = "1" + "0" * 30
#: Fits SQLite's 64-bit integers but not PostgreSQL's 32-bit id columns.
BIG_ID = "3964071830735771136"


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def _raw(client: TestClient, caller: Caller, path: str, text: str) -> Any:
    headers = {**caller.headers, "Content-Type": "application/json"}
    return client.post(path, content=text.encode(), headers=headers)


def _loc(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    location: list[Any] = response.json()["detail"][0]["loc"]
    return location


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ('{"title": "\\ud800", "severity": "SEV-3"}', ["body", "title"]),
        ('{"title": "x", "summary": "a\\udfffb", "severity": "SEV-3"}', ["body", "summary"]),
        ('{"title": "a\\u0000b", "severity": "SEV-3"}', ["body", "title"]),
        ('{"title": "x", "severity": "SEV-3", "tags": ["\\u0000"]}', ["body", "tags", 0]),
        ('{"title": "x", "severity": "SEV-3", "custom_fields": {"\\ud800": 1}}', None),
    ],
)
def test_text_no_database_can_store_is_refused_naming_the_field(
    client: TestClient, admin: Caller, body: str, loc: list[Any] | None
) -> None:
    answer = _raw(client, admin, API, body)
    location = _loc(answer)
    if loc is not None:
        assert location == loc
    assert location[0] == "body"
    assert get(client, admin, API)["total"] == 0


def test_nul_in_a_query_parameter_is_refused(client: TestClient, admin: Caller) -> None:
    assert _loc(client.get("/api/v1/audit?actor=a%00b", headers=admin.headers)) == [
        "query",
        "actor",
    ]


def test_users_affected_is_bounded(client: TestClient, admin: Caller) -> None:
    body = f'{{"title": "x", "severity": "SEV-3", "impact": {{"users_affected": {HUGE}}}}}'
    assert _loc(_raw(client, admin, API, body)) == ["body", "impact", "users_affected"]
    declared = declare(client, admin, impact={"users_affected": 2_000_000_000})
    assert declared["impact"]["users_affected"] == 2_000_000_000


@pytest.mark.parametrize("instant", [EARLY, LATE, "1969-12-31T23:59:59Z"])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/audit", "since"),
        ("/api/v1/incidents", "from"),
        ("/api/v1/incidents", "to"),
        ("/api/v1/alert-accuracy", "since"),
        ("/api/v1/oncall", "at"),
    ],
)
def test_instants_in_queries_are_bounded(
    client: TestClient, admin: Caller, path: str, field: str, instant: str
) -> None:
    answer = client.get(path, params={field: instant}, headers=admin.headers)
    assert _loc(answer) == ["query", field]


def test_a_date_without_time_far_in_the_past_is_refused(client: TestClient, admin: Caller) -> None:
    answer = client.get("/api/v1/alert-accuracy?since=0001-01-01", headers=admin.headers)
    assert _loc(answer) == ["query", "since"]
    assert "between 1970-01-01 and 2999-12-31" in answer.json()["detail"][0]["msg"]


@pytest.mark.parametrize("instant", [EARLY, LATE])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (API, {"title": "x", "severity": "SEV-3"}, "detected_at"),
        (API, {"title": "x", "severity": "SEV-3"}, "impact_started_at"),
        ("/api/v1/silences", {"matchers": ["a=b"]}, "ends_at"),
        ("/api/v1/escalation-policies/none/simulate", {}, "at"),
    ],
)
def test_instants_in_bodies_are_bounded(
    client: TestClient, admin: Caller, path: str, body: dict[str, Any], field: str, instant: str
) -> None:
    answer = client.post(path, json={**body, field: instant}, headers=admin.headers)
    assert _loc(answer) == ["body", field]


def test_notes_are_bounded_too(client: TestClient, admin: Caller) -> None:
    reference = declare(client, admin)["reference"]
    path = f"{API}/{reference}/notes"
    answer = client.post(path, json={"text": "x", "occurred_at": EARLY}, headers=admin.headers)
    assert _loc(answer) == ["body", "occurred_at"]
    answer = _raw(client, admin, path, f'{{"text": "x", "corrects": {HUGE}}}')
    assert _loc(answer) == ["body", "corrects"]


@pytest.mark.parametrize(
    ("method", "path", "loc"),
    [
        ("GET", f"/api/v1/audit?offset={HUGE}", ["query", "offset"]),
        ("GET", f"/api/v1/jobs?offset={HUGE}", ["query", "offset"]),
        ("GET", f"/api/v1/incidents?offset={HUGE}", ["query", "offset"]),
        ("POST", f"/api/v1/jobs/{HUGE}/retry", ["path", "job_id"]),
        ("DELETE", f"/api/v1/tokens/{HUGE}", ["path", "token_id"]),
        ("GET", f"/api/v1/alerts/{BIG_ID}", ["path", "alert_id"]),
        ("POST", f"/api/v1/alert-groups/{BIG_ID}/resolve", ["path", "group_id"]),
        ("POST", f"/api/v1/silences/{BIG_ID}/expire", ["path", "silence_id"]),
    ],
)
def test_integers_in_queries_and_paths_are_bounded(
    client: TestClient, admin: Caller, method: str, path: str, loc: list[str]
) -> None:
    assert _loc(client.request(method, path, headers=admin.headers)) == loc


@pytest.mark.parametrize("path", ["INC-99999999999", "99999999999/timeline", "2147483648"])
def test_incident_numbers_beyond_any_id_name_no_incident(
    client: TestClient, admin: Caller, path: str
) -> None:
    answer = client.get(f"{API}/{path}", headers=admin.headers)
    assert answer.status_code == 404, answer.text


def test_bodies_over_the_limit_get_413_on_every_api_endpoint(
    tocsin: Tocsin, client: TestClient, admin: Caller
) -> None:
    tocsin.settings = replace(tocsin.settings, max_api_body_bytes=1000)
    big = {"title": "x", "severity": "SEV-3", "summary": "s" * 1000}
    for method, path in [
        ("POST", API),
        ("PUT", "/api/v1/teams/payments"),
        ("PUT", "/api/v1/users/ada/notification-rules"),
        ("POST", "/api/v1/users"),
    ]:
        answer = client.request(method, path, json=big, headers=admin.headers)
        assert answer.status_code == 413, (path, answer.text)
        assert answer.json() == {"detail": "request body exceeds 1000 bytes"}
    assert declare(client, admin, summary="s" * 500)["summary"] == "s" * 500


@pytest.mark.parametrize(
    ("given", "limit"),
    [
        ("1000", 1000),
        (" 2048 ", 2048),
        *[(bad, DEFAULT_MAX_BODY_BYTES) for bad in ("", "0", "-5", "1e3", "lots")],
    ],
)
def test_the_limits_are_read_from_their_environment_variables(
    monkeypatch: pytest.MonkeyPatch, given: str, limit: int
) -> None:
    monkeypatch.setenv(MAX_API_BODY_ENV, given)
    monkeypatch.setenv(MAX_ALERT_BODY_ENV, "77")
    settings = Settings.load(data_dir="unused")
    assert settings.max_api_body_bytes == limit
    assert settings.max_alert_body_bytes == 77


def test_the_default_limit_is_one_mebibyte(client: TestClient, admin: Caller) -> None:
    body = json.dumps({"title": "x", "severity": "SEV-3", "summary": "s" * (1024 * 1024)})
    answer = _raw(client, admin, API, body)
    assert answer.status_code == 413
    assert answer.json() == {"detail": "request body exceeds 1048576 bytes"}


def test_invalid_values_are_echoed_cut_short(client: TestClient, admin: Caller) -> None:
    answer = client.post(
        API, json={"title": "t" * 100_000, "severity": "SEV-3"}, headers=admin.headers
    )
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "title"]
    assert error["input"] == "t" * errors.MAX_ECHO + "... (100000 characters)"
    assert len(answer.content) < 1000


def _answer(error: dict[str, Any]) -> dict[str, Any]:
    response = run_to_completion(errors.invalid_request(None, RequestValidationError([error])))  # type: ignore[arg-type]
    decoded: dict[str, Any] = json.loads(bytes(response.body))
    return decoded


def test_the_validation_answer_encodes_lone_surrogates() -> None:
    answer = _answer(
        {"type": "string_type", "loc": ("body", "\ud800"), "msg": "bad \udfff", "input": "\ud800x"}
    )
    assert answer == {
        "detail": [
            {
                "type": "string_type",
                "loc": ["body", "\\ud800"],
                "msg": "bad \\udfff",
                "input": "\\ud800x",
            }
        ]
    }


def test_the_validation_answer_cuts_long_containers_to_their_json_start() -> None:
    answer = _answer({"type": "list_type", "loc": ("body",), "msg": "no", "input": ["ab"] * 1000})
    echoed = answer["detail"][0]["input"]
    assert echoed.startswith('["ab", "ab", ') and echoed.endswith("(6000 characters)")
    small = _answer(
        {"type": "dict_type", "loc": ("body",), "msg": "no", "input": {"k": ["\ud800"]}}
    )
    assert small["detail"][0]["input"] == {"k": ["\\ud800"]}
