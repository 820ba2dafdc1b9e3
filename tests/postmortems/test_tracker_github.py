"""Action items synced to GitHub Issues, against a fake GitHub that checks the documented shapes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.console.test_viewer import _log_in
from tests.postmortems.fake_trackers import FakeGitHub, fake_github
from tests.postmortems.support import API, ok
from tests.postmortems.tracker_support import (
    TrackerSetup,
    add_item,
    api,
    attempts,
    change_item,
    configure_trackers,
    item_of,
    jobs_of,
    later,
    link_of,
    pm,
    publish,
    pushed,
)
from tests.support.processes import free_port
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

__all__ = ["api", "pm"]  # the tracker tests' API and postmortem

TOKEN_ENV, HOOK_ENV, HOOK_SECRET = "TRACKER_GITHUB_TOKEN", "TRACKER_GITHUB_HOOK", "hook-secret"
EVENTS = "/api/v1/action-items/trackers/github-infra/events"
PUSH, POLL = "postmortems.tracker_push", "postmortems.tracker_poll"


def trackers(api_url: str, repository: str = "acme/infra") -> str:
    return f"""
issue_trackers:
  github-infra:
    type: github
    teams: [payments]
    github:
      repository: {repository}
      api_url: {api_url}
      token_env: {TOKEN_ENV}
      labels: [postmortem]
      webhook_secret_env: {HOOK_ENV}
"""


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        yield fake


@pytest.fixture(name="tracker_setup")
def github_tracker(github: FakeGitHub) -> TrackerSetup:
    environment = {
        "TOCSIN_PUBLIC_URL": "https://tocsin.example.com",
        TOKEN_ENV: github.token,
        HOOK_ENV: HOOK_SECRET,
    }
    return TrackerSetup(trackers(github.url), environment)


def test_an_item_becomes_an_issue_its_changes_follow_and_closing_it_finishes_the_item(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    github: FakeGitHub,
    pm: str,
) -> None:
    item = add_item(api, responder, pm, owner="carol", due_date="2026-03-20")
    assert [(t["tracker"], t["state"], t["key"]) for t in item["trackers"]] == [
        ("github-infra", "pending", None)
    ]
    tocsin.engine.run_until_idle()
    linked = link_of(api, responder, pm, item["id"])
    assert (linked["state"], linked["key"], linked["error"]) == ("linked", "1", None)
    assert linked["url"] == "https://github.com/acme/infra/issues/1"
    _log_in(tocsin, api, "cora", "responder")
    page = api.get(f"/action-items/AI-{item['id']}").text
    assert (
        '<dt>In github-infra</dt><dd><a href="https://github.com/acme/infra/issues/1">1</a>' in page
    )
    (created,) = github.seen("POST")
    assert created.path == "/repos/acme/infra/issues"
    assert created.body["title"] == "AI-1: Add the missing index"
    assert created.body["labels"] == ["postmortem"]
    assert "**Owner:** carol" in created.body["body"]
    assert "**Due:** 2026-03-20" in created.body["body"]
    assert f"[{pm}](https://tocsin.example.com/postmortems/{pm})" in created.body["body"]

    change_item(api, responder, pm, item["id"], description="Index the orders table")
    change_item(api, responder, pm, item["id"], due_date="2026-03-27")
    tocsin.engine.run_until_idle()
    edits = github.seen("PATCH")
    assert edits and all(set(edit.body) == {"title", "body"} for edit in edits)
    assert github.issues[1]["title"] == "AI-1: Index the orders table"
    assert "**Due:** 2026-03-27" in github.issues[1]["body"]

    publish(tocsin, api, responder, pm)
    github.close(1, "completed")
    later(tocsin, clock, 5)
    done = item_of(api, responder, pm, item["id"])
    assert done["status"] == "done"
    assert ok(api.get(f"{API}/{pm}", headers=responder.headers))["status"] == "closed"
    versions = ok(api.get(f"{API}/{pm}/versions", headers=responder.headers))
    assert (versions[-2]["author"], versions[-2]["action"]) == ("tocsin", "action_item_changed")
    # What came from GitHub is not sent back: no PATCH after the close was read.
    assert github.seen()[-1].method == "GET"
    later(tocsin, clock, 5)
    assert github.seen()[-1].method == "GET" and len(github.seen("PATCH")) == len(edits)
    assert github.violations == []


def test_a_status_set_in_tocsin_closes_and_reopens_the_issue(
    tocsin: Tocsin, api: TestClient, responder: Caller, github: FakeGitHub, pm: str
) -> None:
    item = pushed(tocsin, api, responder, pm)
    change_item(api, responder, pm, item["id"], status="wont_do", reason="Retired service.")
    tocsin.engine.run_until_idle()
    assert github.issues[1]["state"] == "closed"
    assert github.issues[1]["state_reason"] == "not_planned"
    change_item(api, responder, pm, item["id"], status="in_progress")
    tocsin.engine.run_until_idle()
    assert (github.issues[1]["state"], github.issues[1]["state_reason"]) == ("open", "reopened")
    assert github.violations == []


def _signed(body: bytes, secret: str = HOOK_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "issues",
        "Content-Type": "application/json",
    }


def _issues_event(number: int, reason: str) -> bytes:
    event = {
        "action": "closed",
        "issue": {"number": number, "state": "closed", "state_reason": reason},
        "repository": {"full_name": "acme/infra"},
    }
    return json.dumps(event).encode()


def test_githubs_issues_webhook_reports_a_close_as_not_planned(
    tocsin: Tocsin, api: TestClient, responder: Caller, github: FakeGitHub, pm: str
) -> None:
    item = pushed(tocsin, api, responder, pm)
    body = _issues_event(1, "not_planned")
    refused = api.post(EVENTS, content=body, headers=_signed(body, "not-the-secret"))
    assert refused.status_code == 401 and "X-Hub-Signature-256" in refused.json()["detail"]
    assert item_of(api, responder, pm, item["id"])["status"] == "open"

    answer = ok(api.post(EVENTS, content=body, headers=_signed(body)))
    assert answer == {
        "applied": True,
        "action_item": "AI-1",
        "status": "wont_do",
        "detail": "AI-1 is wont_do",
    }
    shown = item_of(api, responder, pm, item["id"])
    assert (shown["status"], shown["reason"]) == ("wont_do", "closed as not planned in GitHub")
    other = _issues_event(99, "completed")
    assert ok(api.post(EVENTS, content=other, headers=_signed(other)))["applied"] is False
    tocsin.engine.run_until_idle()
    assert github.seen("PATCH") == []  # the close came from GitHub: nothing to send back


def test_refusals_are_recorded_on_the_item_and_not_retried(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    github: FakeGitHub,
    pm: str,
) -> None:
    refusal = {
        "message": "Validation Failed",
        "errors": [{"resource": "Label", "field": "name", "code": "invalid"}],
    }
    github.fail_next(422, refusal)
    item = pushed(tocsin, api, responder, pm)
    failed = link_of(api, responder, pm, item["id"])
    assert failed["state"] == "failed"
    assert failed["error"] == (
        "GitHub answered HTTP 422 to POST /repos/acme/infra/issues: "
        "Validation Failed; name: invalid"
    )
    assert attempts(tocsin, PUSH) == [("dead", 1)]
    later(tocsin, clock, 120)
    assert len(github.seen("POST")) == 1

    # The next change tries again, and succeeds.
    change_item(api, responder, pm, item["id"], owner="dan")
    tocsin.engine.run_until_idle()
    linked = link_of(api, responder, pm, item["id"])
    assert (linked["state"], linked["key"], linked["error"]) == ("linked", "1", None)


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("token", "GitHub answered HTTP 401 to POST /repos/acme/infra/issues: Bad credentials"),
        ("repository", "GitHub answered HTTP 404 to POST /repos/acme/gone/issues: Not Found"),
        ("unset", "GitHub: environment variable TRACKER_GITHUB_TOKEN is unset"),
    ],
)
def test_bad_credentials_an_unknown_repository_or_no_token_fail_once(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    github: FakeGitHub,
    pm: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    said: str,
) -> None:
    if setting == "token":
        monkeypatch.setenv(TOKEN_ENV, "ghp_revoked")
    elif setting == "unset":
        monkeypatch.delenv(TOKEN_ENV)
    else:
        configure_trackers(tocsin, tmp_path / "config", trackers(github.url, "acme/gone"))
    item = pushed(tocsin, api, responder, pm)
    failed = link_of(api, responder, pm, item["id"])
    assert (failed["state"], failed["error"]) == ("failed", said)
    assert attempts(tocsin, PUSH) == [("dead", 1)]


def test_server_errors_and_refused_connections_are_retried(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    github: FakeGitHub,
    pm: str,
    tmp_path: Path,
) -> None:
    github.fail_next(503, {"message": "Service Unavailable"})
    item = pushed(tocsin, api, responder, pm)
    waiting = link_of(api, responder, pm, item["id"])
    assert waiting["state"] == "pending"
    assert waiting["error"] == (
        "GitHub answered HTTP 503 to POST /repos/acme/infra/issues: Service Unavailable "
        "(retried later)"
    )
    assert attempts(tocsin, PUSH) == [("pending", 1)]
    later(tocsin, clock, 1)
    assert link_of(api, responder, pm, item["id"])["state"] == "linked"
    assert len(github.seen("POST")) == 2

    configure_trackers(tocsin, tmp_path / "config", trackers(f"http://127.0.0.1:{free_port()}"))
    change_item(api, responder, pm, item["id"], description="Index the orders table")
    tocsin.engine.run_until_idle()
    error = link_of(api, responder, pm, item["id"])["error"]
    assert (
        error
        == "cannot reach GitHub (PATCH /repos/acme/infra/issues/1): ConnectError (retried later)"
    )
    configure_trackers(tocsin, tmp_path / "config", trackers(github.url))
    later(tocsin, clock, 1)
    assert github.issues[1]["title"] == "AI-1: Index the orders table"
    assert link_of(api, responder, pm, item["id"])["error"] is None
    assert github.violations == []


def test_the_console_shows_each_items_issue_or_why_it_has_none(
    tocsin: Tocsin, api: TestClient, responder: Caller, github: FakeGitHub, pm: str
) -> None:
    github.fail_next(422, {"message": "Validation Failed"})
    add_item(api, responder, pm)
    pushed(tocsin, api, responder, pm, description="Write the runbook")
    _log_in(tocsin, api, "cora", "responder")
    page = api.get(f"/postmortems/{pm}").text
    assert '<a href="https://github.com/acme/infra/issues/1">1</a>' in page
    assert "not created" in page
    assert "GitHub answered HTTP 422 to POST /repos/acme/infra/issues: Validation Failed" in page


def test_an_item_finished_before_its_issue_exists_gets_a_closed_issue(
    tocsin: Tocsin, api: TestClient, responder: Caller, github: FakeGitHub, pm: str
) -> None:
    item = add_item(api, responder, pm)
    change_item(api, responder, pm, item["id"], status="done")
    tocsin.engine.run_until_idle()
    assert len(github.seen("POST")) == 1
    assert (github.issues[1]["state"], github.issues[1]["state_reason"]) == ("closed", "completed")
    assert link_of(api, responder, pm, item["id"])["state"] == "linked"
    assert github.violations == []


def test_a_reopened_issue_reopens_a_finished_item_and_removed_trackers_stop_polling(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    github: FakeGitHub,
    pm: str,
    tmp_path: Path,
) -> None:
    item = pushed(tocsin, api, responder, pm)
    closed = _issues_event(1, "completed")
    ok(api.post(EVENTS, content=closed, headers=_signed(closed)))
    assert item_of(api, responder, pm, item["id"])["status"] == "done"
    reopened = json.dumps(
        {
            "action": "reopened",
            "issue": {"number": 1, "state": "open", "state_reason": "reopened"},
            "repository": {"full_name": "acme/infra"},
        }
    ).encode()
    assert ok(api.post(EVENTS, content=reopened, headers=_signed(reopened)))["status"] == "open"

    assert [state for state, _, _ in jobs_of(tocsin, POLL)] == ["pending"]
    configure_trackers(tocsin, tmp_path / "config", "")
    later(tocsin, clock, 5)
    assert [state for state, _, _ in jobs_of(tocsin, POLL)] == ["done"]
    assert github.seen("GET") == []
