"""Draft → in review → published → closed when every action item is done; each move a
version on the incident's timeline, each refusal naming what is wrong."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    MONDAY,
    caller_for,
    ok,
    outbox,
    timeline_texts,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


def post(api: TestClient, caller: Caller, path: str, body: dict[str, Any]) -> Any:
    return api.post(f"{API}/{path}", json=body, headers=caller.headers)


def test_review_publish_and_close_when_every_action_item_is_finished(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    responder: Caller,
    clock: FakeClock,
    pm: dict[str, Any],
) -> None:
    ref, incident = pm["reference"], pm["incident"]
    carol, dan = caller_for(tocsin, "carol"), caller_for(tocsin, "dan")
    submitted = ok(post(api, responder, f"{ref}/submit", {"reviewers": ["carol", "dan"]}))
    assert submitted["status"] == "in_review"
    assert [(r["user"], r["verdict"]) for r in submitted["reviewers"]] == [
        ("carol", "pending"),
        ("dan", "pending"),
    ]
    back = ok(
        post(api, carol, f"{ref}/reviews", {"verdict": "request_changes", "comment": "Why slow?"})
    )
    assert back["status"] == "draft"
    ok(
        api.patch(
            f"{API}/{ref}", json={"root_cause": "A missing index."}, headers=responder.headers
        )
    )
    ok(post(api, responder, f"{ref}/submit", {"reviewers": ["carol", "dan"]}))
    one = ok(post(api, carol, f"{ref}/reviews", {"verdict": "approve"}))
    assert [r["verdict"] for r in one["reviewers"]] == ["approved", "pending"]
    early = post(api, responder, f"{ref}/publish", {})
    assert early.status_code == 409 and "waiting for the approval of dan" in early.json()["detail"]
    ok(post(api, dan, f"{ref}/reviews", {"verdict": "approve", "comment": "Good."}))

    index = ok(
        post(
            api,
            responder,
            f"{ref}/action-items",
            {"description": "Add the index", "owner": "carol", "priority": "P1", "type": "prevent"},
        ),
        201,
    )
    runbook = ok(
        post(api, responder, f"{ref}/action-items", {"description": "Runbook", "type": "process"}),
        201,
    )
    assert (index["reference"], index["status"], index["incident"]) == ("AI-1", "open", incident)
    published = ok(post(api, responder, f"{ref}/publish", {}))
    assert published["status"] == "published" and published["published_at"] is not None

    items = f"{ref}/action-items"
    ok(api.patch(f"{API}/{items}/{index['id']}", json={"status": "done"}, headers=carol.headers))
    refused = api.patch(
        f"{API}/{items}/{runbook['id']}", json={"status": "wont_do"}, headers=carol.headers
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "reason"]
    assert ok(api.get(f"{API}/{ref}", headers=admin.headers))["status"] == "published"
    ok(
        api.patch(
            f"{API}/{items}/{runbook['id']}",
            json={"status": "wont_do", "reason": "The runbook is generated now."},
            headers=carol.headers,
        )
    )
    closed = ok(api.get(f"{API}/{ref}", headers=admin.headers))
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    ok(api.patch(f"{API}/{items}/{index['id']}", json={"status": "open"}, headers=carol.headers))
    assert ok(api.get(f"{API}/{ref}", headers=admin.headers))["status"] == "published"

    texts = timeline_texts(api, admin, incident)
    for said in (
        f"Postmortem {ref} submitted for review by carol, dan (version",
        f"Postmortem {ref} sent back for changes by carol (version",
        f"Postmortem {ref} approved by carol; waiting for dan (version",
        f"Postmortem {ref} approved by dan; every reviewer approved (version",
        f"Postmortem {ref} gained action item AI-1 (P1, prevent): Add the index (version",
        f"Postmortem {ref} published (version",
        f"Postmortem {ref} action item AI-1 changed: status open → done (version",
        f"Postmortem {ref} closed: every action item is done or won't be done (version",
        f"Postmortem {ref} published again: an action item is open (version",
    ):
        assert any(text.startswith(said) for text in texts), said
    versions = ok(api.get(f"{API}/{ref}/versions", headers=admin.headers))
    asked = next(v for v in versions if v["action"] == "changes_requested")
    assert (asked["author"], asked["comment"]) == ("carol", "Why slow?")

    # Published: the owner is no longer reminded.
    clock.set(MONDAY + timedelta(days=5))
    tocsin.engine.run_until_idle()
    assert outbox(tocsin, "Postmortem") == []


def test_a_published_postmortem_without_action_items_closes_at_once(
    tocsin: Tocsin, api: TestClient, responder: Caller, pm: dict[str, Any]
) -> None:
    ref = pm["reference"]
    ok(post(api, responder, f"{ref}/submit", {"reviewers": ["carol"]}))
    ok(post(api, caller_for(tocsin, "carol"), f"{ref}/reviews", {"verdict": "approve"}))
    closed = ok(post(api, responder, f"{ref}/publish", {}))
    assert closed["status"] == "closed"
    reopened = ok(post(api, responder, f"{ref}/action-items", {"description": "Late finding"}), 201)
    assert reopened["status"] == "open"
    assert ok(api.get(f"{API}/{ref}", headers=responder.headers))["status"] == "published"


def test_each_refused_move_names_why_and_changes_nothing(
    tocsin: Tocsin,
    api: TestClient,
    admin: Caller,
    responder: Caller,
    viewer: Caller,
    pm: dict[str, Any],
) -> None:
    ref = pm["reference"]
    assert post(api, viewer, f"{ref}/submit", {"reviewers": ["carol"]}).status_code == 403

    def field(response: Any) -> list[Any]:
        assert response.status_code == 422, response.text
        location: list[Any] = response.json()["detail"][0]["loc"]
        return location

    assert field(post(api, responder, f"{ref}/submit", {"reviewers": []})) == ["body", "reviewers"]
    itself = post(api, responder, f"{ref}/submit", {"reviewers": [responder.name]})
    assert field(itself) == ["body", "reviewers"] and "cannot review" in itself.text
    assert field(post(api, responder, f"{ref}/submit", {"reviewers": ["carol", "ghost"]})) == [
        "body",
        "reviewers",
        "1",
    ]
    not_yet = post(api, caller_for(tocsin, "carol"), f"{ref}/reviews", {"verdict": "approve"})
    assert not_yet.status_code == 409
    assert post(api, responder, f"{ref}/publish", {}).status_code == 409
    ok(post(api, responder, f"{ref}/submit", {"reviewers": ["carol"]}))
    stranger = post(api, caller_for(tocsin, "dan"), f"{ref}/reviews", {"verdict": "approve"})
    assert stranger.status_code == 403 and "dan is not a reviewer" in stranger.json()["detail"]
    silent = post(
        api, caller_for(tocsin, "carol"), f"{ref}/reviews", {"verdict": "request_changes"}
    )
    assert field(silent) == ["body", "comment"]
    frozen = api.patch(f"{API}/{ref}", json={"summary": "x"}, headers=responder.headers)
    assert frozen.status_code == 409 and "in review" in frozen.json()["detail"]
    assert field(
        post(api, responder, f"{ref}/action-items", {"description": "x", "owner": "ghost"})
    ) == ["body", "owner"]
    assert field(
        post(api, responder, f"{ref}/action-items", {"description": "x", "priority": "P4"})
    ) == ["body", "priority"]
    missing = api.patch(f"{API}/{ref}/action-items/99", json={}, headers=responder.headers)
    assert missing.status_code == 404
    stale = post(api, caller_for(tocsin, "carol"), f"{ref}/publish", {"version": 1})
    assert stale.status_code == 409 and "changed since version 1" in stale.json()["detail"]
    after = ok(api.get(f"{API}/{ref}", headers=admin.headers))
    assert (after["status"], after["action_items"]) == ("in_review", [])


def test_the_seed_format_lists_the_action_items_with_the_seeds_fields(
    api: TestClient, responder: Caller, pm: dict[str, Any]
) -> None:
    ref = pm["reference"]
    ok(
        post(
            api,
            responder,
            f"{ref}/action-items",
            {
                "description": "Add query performance tests to CI",
                "owner": "carol",
                "priority": "P1",
                "type": "prevent",
                "due_date": "2026-03-09",
            },
        ),
        201,
    )
    text = api.get(f"{API}/{ref}/template.yaml", headers=responder.headers).text
    assert (
        "  action_items:\n"
        "    - description: Add query performance tests to CI\n"
        "      owner: carol\n"
        "      priority: P1\n"
        "      due_date: '2026-03-09'\n"
    ) in text


def test_an_action_item_is_answered_for_by_the_team_owning_the_incidents_service(
    api: TestClient, responder: Caller, pm: dict[str, Any]
) -> None:
    ref = pm["reference"]
    added = ok(post(api, responder, f"{ref}/action-items", {"description": "Alert on queue"}), 201)
    assert added["team"] == "payments"
    unknown = post(api, responder, f"{ref}/action-items", {"description": "x", "team": "ghosts"})
    assert unknown.status_code == 422 and "ghosts" in unknown.text
    assert unknown.json()["detail"][0]["loc"] == ["body", "team"]
    moved = api.patch(
        f"{API}/{ref}/action-items/{added['id']}",
        json={"team": "nobody"},
        headers=responder.headers,
    )
    assert moved.status_code == 422
