"""``tocsin postmortem ...`` against a served Tocsin."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.alerts.support import served
from tests.conftest import Caller
from tests.postmortems.support import caller_for, outbox_set_up, postmortem_of, resolved_incident
from tocsin.app.cli import app
from tocsin.app.service import Tocsin


def test_postmortem_commands_draft_edit_list_and_export(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    responder: Caller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox_set_up(tocsin, tmp_path / "config", monkeypatch)
    minor = resolved_incident(client, tocsin, admin, "SEV-3")
    runner = CliRunner()
    with served(tocsin) as url:
        env = {"TOCSIN_URL": url, "TOCSIN_TOKEN": responder.token, "COLUMNS": "200"}

        def tocsin_cli(*args: str, code: int = 0) -> str:
            result = runner.invoke(app, ["postmortem", *args], env=env)
            assert result.exit_code == code, result.output
            return result.output

        drafted = tocsin_cli("create", minor, "--owner", "carol")
        reference = drafted.split()[1]
        assert f"drafted {reference} for {minor}, owned by carol" in drafted
        assert "already has a postmortem" in tocsin_cli("create", minor, code=1)
        edited = tocsin_cli(
            "edit",
            reference,
            "--summary",
            "A slow query exhausted the pool.",
            "--users-affected",
            "120",
            "--factor",
            "No load test",
            "--factor",
            "Alert delay",
            "--add-entry",
            "1",
        )
        assert f"{reference}: version 2" in edited
        document = tmp_path / "edit.json"
        document.write_text('{"lessons_learned": ["Test with production data sizes"]}')
        assert "version 3" in tocsin_cli("edit", reference, "--file", str(document))
        refused = tocsin_cli("edit", reference, "--add-entry", "999", code=1)
        assert "invalid input: timeline" in refused and "has no entry #999" in refused
        assert "nothing to change" in tocsin_cli("edit", reference, code=1)
        shown = tocsin_cli("show", reference)
        for words in (
            "A slow query exhausted the pool.",
            "users_affected: 120",
            "- No load test",
            "- Test with production data sizes",
            "MTTD / MTTA / MTTR",
        ):
            assert words in shown
        listed = tocsin_cli("list")
        assert f"│ {reference} │ {minor}    │ draft  │ carol │" in listed
        assert "edited" in tocsin_cli("versions", reference)
        assert "*" in tocsin_cli("timeline", reference)
        clean = tocsin_cli("check", reference)
        assert "No sentence reads as blame." in clean
        flagged = tocsin_cli("check", "--text", "carol forgot to page. It was human error.")
        assert '"carol forgot to page." (person_blamed)' in flagged
        assert "Instead:" in flagged and "2 sentences may read as blame" in flagged
        assert "not both" in tocsin_cli("check", code=1)
        exported = tocsin_cli("export", reference)
        assert "postmortem:" in exported and "users_affected: 120" in exported


def test_review_publish_action_items_and_the_meeting_from_the_command_line(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    responder: Caller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox_set_up(tocsin, tmp_path / "config", monkeypatch)
    incident = resolved_incident(client, tocsin, admin, "SEV-2")
    reference = postmortem_of(client, admin, incident)["reference"]
    carol = caller_for(tocsin, "carol")
    runner = CliRunner()
    with served(tocsin) as url:

        def tocsin_cli(*args: str, who: Caller = responder, code: int = 0) -> str:
            env = {"TOCSIN_URL": url, "TOCSIN_TOKEN": who.token, "COLUMNS": "200"}
            result = runner.invoke(app, ["postmortem", *args], env=env)
            assert result.exit_code == code, result.output
            return result.output

        assert "in review (carol: pending)" in tocsin_cli(
            "submit", reference, "--reviewer", "carol"
        )
        assert "not a reviewer" in tocsin_cli("approve", reference, code=1)
        assert "draft" in tocsin_cli(
            "request-changes", reference, "--comment", "Name the index.", who=carol
        )
        tocsin_cli("submit", reference, "--reviewer", "carol")
        assert "carol: approved" in tocsin_cli(
            "approve", reference, "--comment", "Good.", who=carol
        )
        added = tocsin_cli(
            "action",
            "add",
            reference,
            "Add the index",
            "--owner",
            "carol",
            "--priority",
            "P1",
            "--due",
            "2026-02-01",
        )
        assert "AI-1" in added and "P1" in added
        assert "published" in tocsin_cli("publish", reference)
        assert "reason: say why" in tocsin_cli(
            "action", "set", reference, "1", "--status", "wont_do", code=1
        )
        assert "done" in tocsin_cli("action", "set", reference, "1", "--status", "done")
        assert "closed" in tocsin_cli("show", reference)
        assert "Add the index" in tocsin_cli("action", "list", reference)
        proposed = tocsin_cli("meeting", reference)
        assert "carol" in proposed and "reviewer" in proposed
        scheduled = tocsin_cli(
            "meeting", reference, "--at", "2026-01-06T15:00:00Z", "--attendee", "carol"
        )
        assert "invitations to carol" in scheduled
