"""Action items synced to Jira Cloud, against a fake Jira that checks the documented shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.alerts.support import served
from tests.conftest import Caller
from tests.postmortems.fake_trackers import FakeJira, adf_problems, fake_jira
from tests.postmortems.support import API, ok
from tests.postmortems.tracker_support import (
    TrackerSetup,
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
    two_pushed,
)
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

__all__ = ["api", "pm"]  # the tracker tests' API and postmortem

TOKEN_ENV = "TRACKER_JIRA_TOKEN"
PUSH = "postmortems.tracker_push"


def trackers(url: str, extra: str = "") -> str:
    return f"""
issue_trackers:
  jira-ops:
    type: jira
    poll_minutes: 10
    jira:
      url: {url}
      project: OPS
      issue_type: Task
      email: bot@example.com
      token_env: {TOKEN_ENV}
      labels: [postmortem]
      statuses:
        "Won't Do": wont_do{extra}
"""


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with fake_jira() as fake:
        yield fake


@pytest.fixture(name="tracker_setup")
def jira_tracker(jira: FakeJira) -> TrackerSetup:
    return TrackerSetup(trackers(jira.url), {TOKEN_ENV: jira.api_token})


def test_an_item_becomes_an_issue_in_the_document_format_and_its_changes_follow(
    tocsin: Tocsin, api: TestClient, responder: Caller, jira: FakeJira, pm: str
) -> None:
    item = pushed(tocsin, api, responder, pm, owner="carol", due_date="2026-03-20")
    linked = link_of(api, responder, pm, item["id"])
    assert (linked["tracker"], linked["state"], linked["key"]) == ("jira-ops", "linked", "OPS-1")
    assert linked["url"] == f"{jira.url}/browse/OPS-1"
    (created,) = [r for r in jira.seen("POST") if r.path == "/rest/api/3/issue"]
    fields = created.body["fields"]
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "AI-1: Add the missing index"
    assert (fields["duedate"], fields["labels"]) == ("2026-03-20", ["postmortem"])
    assert adf_problems(fields["description"]) == []
    texts = [node["text"] for block in fields["description"]["content"] for node in _inline(block)]
    assert "Add the missing index" in texts and "Owner: carol" in texts and pm in texts

    change_item(api, responder, pm, item["id"], description="Index orders", due_date="2026-04-01")
    tocsin.engine.run_until_idle()
    (edit,) = jira.seen("PUT")
    assert edit.path == "/rest/api/3/issue/OPS-1"
    assert edit.body["fields"]["summary"] == "AI-1: Index orders"
    assert edit.body["fields"]["duedate"] == "2026-04-01"
    assert not [r for r in jira.seen() if r.path.endswith("/transitions")]

    change_item(api, responder, pm, item["id"], status="in_progress")
    tocsin.engine.run_until_idle()
    assert jira.status("OPS-1") == "In Progress"
    change_item(api, responder, pm, item["id"], status="wont_do", reason="Retired.")
    tocsin.engine.run_until_idle()
    assert jira.status("OPS-1") == "Won't Do"
    (move, *_) = [r for r in jira.seen("POST") if r.path.endswith("/transitions")]
    assert move.body == {"transition": {"id": "21"}}
    assert jira.violations == []


def _inline(block: dict[str, object]) -> list[dict[str, str]]:
    """Every text node under ``block``."""
    found: list[dict[str, str]] = []
    for child in block.get("content", []):  # type: ignore[attr-defined]
        if child.get("type") == "text":
            found.append(child)
        else:
            found += _inline(child)
    return found


def test_done_in_jira_finishes_the_item_and_closes_the_postmortem(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    jira: FakeJira,
    pm: str,
) -> None:
    first, second = two_pushed(tocsin, api, responder, pm)
    publish(tocsin, api, responder, pm)
    jira.set_status("OPS-1", "Done")
    jira.set_status("OPS-2", "Won't Do")
    later(tocsin, clock, 10)
    assert item_of(api, responder, pm, first["id"])["status"] == "done"
    wont = item_of(api, responder, pm, second["id"])
    assert (wont["status"], wont["reason"]) == ("wont_do", "set to Won't Do in Jira")
    assert ok(api.get(f"{API}/{pm}", headers=responder.headers))["status"] == "closed"
    later(tocsin, clock, 10)
    # Nothing was sent back: no edit, no transition.
    assert jira.seen("PUT") == [] and not [r for r in jira.seen("POST") if "transitions" in r.path]
    assert jira.violations == []


def test_an_issue_opened_again_within_30_days_opens_its_item_again(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    jira: FakeJira,
    pm: str,
) -> None:
    item = pushed(tocsin, api, responder, pm)
    publish(tocsin, api, responder, pm)
    jira.set_status("OPS-1", "Done")
    later(tocsin, clock, 10)
    assert ok(api.get(f"{API}/{pm}", headers=responder.headers))["status"] == "closed"
    later(tocsin, clock, 29 * 24 * 60)
    jira.set_status("OPS-1", "To Do")
    later(tocsin, clock, 10)
    assert item_of(api, responder, pm, item["id"])["status"] == "open"
    assert ok(api.get(f"{API}/{pm}", headers=responder.headers))["status"] == "published"

    jira.set_status("OPS-1", "Done")
    later(tocsin, clock, 10)
    assert item_of(api, responder, pm, item["id"])["status"] == "done"
    later(tocsin, clock, 31 * 24 * 60)
    reads = len(jira.seen("GET"))
    jira.set_status("OPS-1", "In Progress")
    later(tocsin, clock, 10)
    assert item_of(api, responder, pm, item["id"])["status"] == "done", "finished for good"
    assert len(jira.seen("GET")) == reads, "its issue is no longer read"
    assert jira.violations == []


def test_an_issue_gone_from_jira_is_recorded_and_the_poll_goes_on(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    jira: FakeJira,
    pm: str,
) -> None:
    first, second = two_pushed(tocsin, api, responder, pm)
    del jira.issues["OPS-1"]
    jira.set_status("OPS-2", "Done")
    later(tocsin, clock, 10)
    gone = link_of(api, responder, pm, first["id"])
    assert gone["error"] == (
        "Jira answered HTTP 404 to GET /rest/api/3/issue/OPS-1: "
        "Issue does not exist or you do not have permission to see it."
    )
    assert item_of(api, responder, pm, second["id"])["status"] == "done"


def test_wrong_credentials_and_refused_fields_fail_once_with_jiras_words(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    jira: FakeJira,
    pm: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "revoked")
    item = pushed(tocsin, api, responder, pm)
    failed = link_of(api, responder, pm, item["id"])
    assert (failed["state"], failed["error"]) == (
        "failed",
        "Jira answered HTTP 401 to POST /rest/api/3/issue",
    )
    monkeypatch.setenv(TOKEN_ENV, jira.api_token)
    jira.fail_next(
        400,
        {
            "errorMessages": [],
            "errors": {"duedate": "Field 'duedate' cannot be set. It is not on the screen."},
        },
    )
    change_item(api, responder, pm, item["id"], due_date="2026-03-20")
    tocsin.engine.run_until_idle()
    failed = link_of(api, responder, pm, item["id"])
    assert failed["error"] == (
        "Jira answered HTTP 400 to POST /rest/api/3/issue: "
        "duedate: Field 'duedate' cannot be set. It is not on the screen."
    )
    assert [state for state, _, _ in jobs_of(tocsin, PUSH)] == ["dead", "dead"]

    configure_trackers(
        tocsin, tmp_path / "config", trackers(jira.url, "\n      send_due_date: false")
    )
    change_item(api, responder, pm, item["id"], owner="dan")
    tocsin.engine.run_until_idle()
    linked = link_of(api, responder, pm, item["id"])
    assert (linked["state"], linked["key"], linked["error"]) == ("linked", "OPS-1", None)
    assert "duedate" not in jira.issues["OPS-1"]["fields"]


def test_server_errors_are_retried(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    jira: FakeJira,
    pm: str,
) -> None:
    jira.fail_next(502, None, times=2)
    item = pushed(tocsin, api, responder, pm)
    later(tocsin, clock, 1)
    assert attempts(tocsin, PUSH) == [("pending", 2)]
    later(tocsin, clock, 1)
    assert link_of(api, responder, pm, item["id"])["key"] == "OPS-1"
    assert attempts(tocsin, PUSH) == [("done", 3)]


def test_the_cli_lists_each_items_issue(
    tocsin: Tocsin, api: TestClient, responder: Caller, jira: FakeJira, pm: str
) -> None:
    pushed(tocsin, api, responder, pm)
    with served(tocsin) as url:
        env = {"TOCSIN_URL": url, "TOCSIN_TOKEN": responder.token, "COLUMNS": "250"}
        result = CliRunner().invoke(app, ["postmortem", "action", "list", pm], env=env)
    assert result.exit_code == 0, result.output
    assert "jira-ops: OPS-1" in result.output


def test_a_failure_after_the_issue_was_created_does_not_create_another(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    jira: FakeJira,
    pm: str,
) -> None:
    jira.fail_next(503, None, times=3, after=1)  # the status read after the creation
    item = pushed(tocsin, api, responder, pm)
    assert link_of(api, responder, pm, item["id"])["key"] == "OPS-1"
    change_item(api, responder, pm, item["id"], status="done")
    later(tocsin, clock, 5)
    assert list(jira.issues) == ["OPS-1"] and jira.status("OPS-1") == "Done"
    assert jira.violations == []


def test_without_an_email_the_token_is_a_bearer_token(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    jira: FakeJira,
    pm: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jira.bearer = "oauth-access-token"
    monkeypatch.setenv(TOKEN_ENV, "oauth-access-token")
    configure_trackers(
        tocsin,
        tmp_path / "config",
        trackers(jira.url).replace("      email: bot@example.com\n", ""),
    )
    pushed(tocsin, api, responder, pm)
    assert list(jira.issues) == ["OPS-1"]
    assert jira.seen("POST")[0].headers["authorization"] == "Bearer oauth-access-token"
    assert jira.violations == []
