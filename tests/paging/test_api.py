"""The paging API: dry runs, escalations and their actions, pages, acknowledge links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller, make_caller
from tests.paging.conftest import configure, people_yaml
from tests.support.sinks import HttpSink
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock

SEED_TEAM = """
teams:
  platform:
    members: [engineer-a, engineer-b, engineer-c, tess]
    roles: {team_lead: tess}
    escalation_policy: on-call-schedule
"""


@pytest.fixture
def api(tocsin: Tocsin) -> Iterator[TestClient]:
    """A client whose engine runs only when the test says so (``tocsin.engine.run_until_idle``)."""
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


@pytest.fixture
def paged(tocsin: Tocsin, sink: HttpSink, smtp: Any, tmp_path: Path) -> Tocsin:
    configure(tocsin, tmp_path / "config", {"people.yaml": people_yaml(sink)})
    return tocsin


def start(
    api: TestClient, caller: Caller, policy: str = "b-thrice", title: str = "Disk full"
) -> dict[str, Any]:
    response = api.post(
        "/api/v1/escalations",
        json={"policy": policy, "title": title},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_simulate_the_seed_chain(
    tocsin: Tocsin, api: TestClient, admin: Caller, tmp_path: Path
) -> None:
    configure(tocsin, tmp_path / "config", {"team.yaml": SEED_TEAM})
    response = api.post(
        "/api/v1/escalation-policies/on-call-schedule/simulate",
        json={"at": "2026-02-16T14:00:00Z"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    steps = [
        (
            step["minute"],
            step["targets"][0]["target"],
            [p["name"] for p in step["targets"][0]["people"]],
        )
        for step in body["steps"]
    ]
    assert steps == [
        (0, "schedule on-call-schedule primary", ["engineer-a"]),
        (5, "schedule on-call-schedule secondary", ["engineer-b"]),
        (10, "role team_lead", ["tess"]),
        (15, "role engineering_manager", []),
    ]
    assert body["steps"][3]["targets"][0]["reason"] == (
        "nobody assigned: team platform has no engineering_manager"
    )
    assert body["team"] == "platform"
    assert any("nobody assigned" in line for line in body["text"])


def test_simulate_an_unknown_policy_is_404(api: TestClient, viewer: Caller) -> None:
    response = api.post(
        "/api/v1/escalation-policies/nope/simulate", json={}, headers=viewer.headers
    )
    assert response.status_code == 404
    assert "no escalation policy named 'nope'" in response.json()["detail"]


def test_escalate_now_runs_the_next_step_at_once(
    paged: Tocsin, api: TestClient, responder: Caller, sink: HttpSink
) -> None:
    run = start(api, responder)
    paged.engine.run_until_idle()
    assert len(sink.received("/b")) == 1
    response = api.post(f"/api/v1/escalations/{run['id']}/escalate", headers=responder.headers)
    assert response.status_code == 200
    paged.engine.run_until_idle()
    assert len(sink.received("/b")) == 2
    detail = api.get(f"/api/v1/escalations/{run['id']}", headers=responder.headers).json()
    assert [e["kind"] for e in detail["events"]].count("step") == 2
    assert detail["frozen_policy"]["repeat"] == 2


def test_reassign_pages_the_new_person_and_closes_the_old_pages(
    paged: Tocsin, api: TestClient, responder: Caller, sink: HttpSink
) -> None:
    run = start(api, responder)
    paged.engine.run_until_idle()
    response = api.post(
        f"/api/v1/escalations/{run['id']}/reassign",
        json={"user": "lead"},
        headers=responder.headers,
    )
    assert response.status_code == 200, response.text
    paged.engine.run_until_idle()
    assert len(sink.received("/lead")) == 1
    pages = api.get("/api/v1/pages", headers=responder.headers).json()
    assert {(p["user"], p["state"]) for p in pages} == {("engineer-b", "closed"), ("lead", "open")}
    unknown = api.post(
        f"/api/v1/escalations/{run['id']}/reassign",
        json={"user": "nobody"},
        headers=responder.headers,
    )
    assert unknown.status_code == 409


def test_acknowledge_a_page_then_nothing_more_to_acknowledge(
    paged: Tocsin, api: TestClient, responder: Caller, clock: FakeClock, sink: HttpSink
) -> None:
    start(api, responder)
    paged.engine.run_until_idle()
    (page,) = api.get("/api/v1/pages", headers=responder.headers).json()
    assert page["notifications"][0]["attempts"][0]["provider"] == "webhook"
    response = api.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "rex"
    again = api.post(f"/api/v1/pages/{page['id']}/acknowledge", headers=responder.headers)
    assert again.status_code == 409
    clock.advance(minutes=30)
    paged.engine.run_until_idle()
    assert len(sink.received("/b")) == 1


def test_resolve_and_list_by_state(paged: Tocsin, api: TestClient, responder: Caller) -> None:
    run = start(api, responder)
    assert (
        api.post(f"/api/v1/escalations/{run['id']}/resolve", headers=responder.headers).json()[
            "state"
        ]
        == "resolved"
    )
    assert (
        api.post(f"/api/v1/escalations/{run['id']}/resolve", headers=responder.headers).status_code
        == 409
    )
    assert (
        api.post(f"/api/v1/escalations/{run['id']}/escalate", headers=responder.headers).status_code
        == 409
    )
    listed = api.get("/api/v1/escalations?state=resolved", headers=responder.headers).json()
    assert [item["id"] for item in listed] == [run["id"]]


def test_viewers_can_read_but_not_act(paged: Tocsin, api: TestClient, viewer: Caller) -> None:
    responder = make_caller(paged, "ray", "responder")
    run = start(api, responder)
    assert api.get("/api/v1/escalations", headers=viewer.headers).status_code == 200
    refused = api.post(f"/api/v1/escalations/{run['id']}/acknowledge", headers=viewer.headers)
    assert refused.status_code == 403
    assert api.get("/api/v1/pages").status_code == 401


def test_missing_objects_are_404(api: TestClient, responder: Caller) -> None:
    assert api.get("/api/v1/escalations/999", headers=responder.headers).status_code == 404
    assert api.get("/api/v1/pages/999", headers=responder.headers).status_code == 404
    assert api.post("/api/v1/pages/999/acknowledge", headers=responder.headers).status_code == 404
    unknown = api.post(
        "/api/v1/escalations", json={"policy": "nope", "title": "x"}, headers=responder.headers
    )
    assert unknown.status_code == 404


def test_acknowledge_links_expire_and_work_once(
    paged: Tocsin, api: TestClient, responder: Caller, clock: FakeClock, sink: HttpSink
) -> None:
    start(api, responder)
    start(api, responder, policy="b-only", title="CPU hot")
    paged.engine.run_until_idle()
    first, second = (r.json()["pages"][0]["ack_url"] for r in sink.received("/b"))
    path = first.split("tocsin.example.com", 1)[1]
    assert "Acknowledge this page?" in api.get(path).text
    assert api.post(path).status_code == 200
    assert api.post(path).status_code == 404
    assert "already used" in api.get(path).text
    clock.advance(hours=25)
    expired = second.split("tocsin.example.com", 1)[1]
    assert "expired" in api.post(expired).text
    assert api.get("/ack/not-a-token").status_code == 404
