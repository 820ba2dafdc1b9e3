"""The console's postmortem pages: listed, shown, edited through the form, refused by field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.console.test_viewer import PASSWORD, _log_in
from tests.postmortems.support import ok, outbox_set_up, postmortem_of, resolved_incident
from tocsin.app.service import Tocsin

SEE_OTHER = 303


def form_of(pm: dict[str, Any], token: str, **changes: Any) -> dict[str, Any]:
    """The edit form as the page sends it, untouched, with ``changes``."""
    document = pm["document"]
    fields: dict[str, Any] = {
        "csrf_token": token,
        "version": pm["version"],
        "title": document["title"],
        "summary": document["summary"],
        "root_cause": "",
        "impact_description": document["impact"]["description"],
        "entry": [item["sequence"] for item in document["timeline"] if item["sequence"]],
        # The whys as they are, then the next question the page offers, unanswered.
        "why": [w["why"] for w in document["five_whys"]] + ["Why?"],
        "answer": [w["answer"] for w in document["five_whys"]] + [""],
        "cites": [", ".join(f"#{c}" for c in w["cites"]) for w in document["five_whys"]] + [""],
    }
    fields.update(changes)
    return fields


def test_a_draft_is_listed_shown_and_edited_in_the_console(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox_set_up(tocsin, tmp_path / "config", monkeypatch)
    incident = resolved_incident(client, tocsin, admin)
    pm = postmortem_of(client, admin, incident)
    reference = pm["reference"]
    token = _log_in(tocsin, client, "cora", "responder")

    listed = client.get("/postmortems?status=draft").text
    assert f'href="/postmortems/{reference}"' in listed and "1 postmortem" in listed
    assert "None yet" in client.get("/postmortems?status=published").text
    shown = client.get(f"/postmortems/{reference}").text
    for words in ("Root cause analysis", "Five Whys", "Edit the draft", "What Tocsin recorded"):
        assert words in shown
    assert f'href="/postmortems/{reference}"' in client.get(f"/incidents/{incident}").text

    edit_page = client.get(f"/postmortems/{reference}/edit").text
    assert "Add other entries" in edit_page and 'name="entry"' in edit_page
    untouched = client.post(
        f"/postmortems/{reference}/edit", data=form_of(pm, token), follow_redirects=False
    )
    assert untouched.status_code == SEE_OTHER
    assert ok(client.get(f"/api/v1/postmortems/{reference}", headers=admin.headers))["version"] == 1
    saved = client.post(
        f"/postmortems/{reference}/edit",
        data=form_of(
            pm,
            token,
            summary="A slow query exhausted the connection pool.",
            users_affected="1200",
            contributing_factors="No load test\nAlert delay",
            other_events="08:30 Deployment of v3.4.2 completed",
            answer=["The pool ran out.", ""],
            cites=["#1, #2", ""],
        ),
        follow_redirects=False,
    )
    assert saved.status_code == SEE_OTHER, saved.text
    after = ok(client.get(f"/api/v1/postmortems/{reference}", headers=admin.headers))
    document = after["document"]
    assert after["version"] == 2
    assert document["summary"] == "A slow query exhausted the connection pool."
    assert document["impact"]["users_affected"] == 1200
    assert document["contributing_factors"] == ["No load test", "Alert delay"]
    assert document["timeline"][0]["event"] == "Deployment of v3.4.2 completed"
    assert document["five_whys"][0]["cites"] == [1, 2]
    # The next question of the Five Whys is asked of the last answer.
    assert "Why? (The pool ran out)" in client.get(f"/postmortems/{reference}/edit").text

    refused = client.post(
        f"/postmortems/{reference}/edit",
        data=form_of(after, token, other_events="soon: deploy"),
    )
    assert refused.status_code == 422 and "other_events: line 1" in refused.text
    assert "soon: deploy" in refused.text  # what was typed comes back
    stale = client.post(f"/postmortems/{reference}/edit", data=form_of(pm, token, summary="Old"))
    assert stale.status_code == 409 and "changed since version 1" in stale.text
    bad_cite = client.post(
        f"/postmortems/{reference}/edit", data=form_of(after, token, cites=["three"])
    )
    assert bad_cite.status_code == 422 and "five_whys.0.cites" in bad_cite.text

    moved = client.post(
        f"/postmortems/{reference}/owner",
        data={"csrf_token": token, "version": 2, "owner": "dan", "due_at": "2026-01-20T10:00"},
        follow_redirects=False,
    )
    assert moved.status_code == SEE_OTHER
    assert (
        ok(client.get(f"/api/v1/postmortems/{reference}", headers=admin.headers))["owner"] == "dan"
    )


def log_in_again(client: TestClient, name: str) -> str:
    """Log in as ``name`` (made by ``_log_in`` before); the page's CSRF token."""
    client.cookies.clear()
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == SEE_OTHER, answer.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/").text)
    assert token is not None
    return token.group(1)


def test_review_publish_action_items_and_meeting_through_the_console(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox_set_up(tocsin, tmp_path / "config", monkeypatch)
    incident = resolved_incident(client, tocsin, admin)
    reference = postmortem_of(client, admin, incident)["reference"]
    page = f"/postmortems/{reference}"
    _log_in(tocsin, client, "rita", "responder")
    token = _log_in(tocsin, client, "cora", "responder")

    def send(path: str, expect: int = SEE_OTHER, **fields: Any) -> Any:
        answer = client.post(
            f"{page}/{path}", data={"csrf_token": token, **fields}, follow_redirects=False
        )
        assert answer.status_code == expect, answer.text
        return answer

    shown = client.get(page).text
    assert "Submit for review" in shown and 'value="cora"' not in shown  # not one's own reviewer
    send("submit", version=1, reviewer=["rita"])
    shown = client.get(page).text
    assert "rita: <strong>pending</strong>" in shown and "Waiting for rita" in shown
    assert "Approve" not in shown  # cora is no reviewer

    token = log_in_again(client, "rita")
    assert "Request changes" in client.get(page).text
    silent = send("review", expect=422, verdict="request_changes")
    assert "comment: say what should change" in silent.text
    send("review", verdict="approve", comment="Clear.")
    send("action-items", description="Add the index", owner="carol", priority="P1", type="prevent")
    send("publish", version=4)
    shown = client.get(page).text
    assert "published" in shown and "AI-1" in shown
    wont = client.post(f"{page}/action-items/1", data={"csrf_token": token, "status": "wont_do"})
    assert wont.status_code == 422
    assert "reason" in wont.text
    send("action-items/1", status="wont_do", reason="Superseded by the new schema.")
    assert ">closed<" in client.get(page).text
    send("meeting", starts_at="2026-01-07T15:00", minutes="30", location="Room 4")
    shown = client.get(page).text
    assert "Room 4" in shown and 'ada <span class="muted">(owner of the postmortem)' in shown


def test_the_language_check_is_shown_while_editing_and_before_review(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox_set_up(tocsin, tmp_path / "config", monkeypatch)
    pm = postmortem_of(client, admin, resolved_incident(client, tocsin, admin))
    page = f"/postmortems/{pm['reference']}"
    token = _log_in(tocsin, client, "cora", "responder")
    assert "No sentence reads as blame." in client.get(f"{page}/edit").text
    saved = client.post(
        f"{page}/edit",
        data=form_of(pm, token, summary="dan forgot to raise the pool size."),
        follow_redirects=False,
    )
    assert saved.status_code == SEE_OTHER
    edit_page = client.get(f"{page}/edit").text
    assert "1 sentence may read as blame." in edit_page
    assert "“<mark>dan forgot to</mark> raise the pool size.”" in edit_page
    assert "1 sentence here may read as blame" in edit_page
    assert "Make the system the subject" in edit_page
    assert "1 sentence may read as blame." in client.get(page).text  # before review
