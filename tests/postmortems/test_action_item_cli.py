"""``tocsin action-item ...`` against a served Tocsin."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.alerts.support import served
from tests.conftest import Caller
from tests.postmortems.support import declare, set_up
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


def test_list_add_and_set_action_items_from_the_command_line(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    responder: Caller,
    viewer: Caller,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    set_up(tocsin, tmp_path / "config")
    incident = declare(client, admin, "SEV-3")
    runner = CliRunner()
    with served(tocsin) as url:

        def tocsin_cli(*args: str, who: Caller = responder, code: int = 0) -> str:
            env = {"TOCSIN_URL": url, "TOCSIN_TOKEN": who.token, "COLUMNS": "250"}
            result = runner.invoke(app, ["action-item", *args], env=env)
            assert result.exit_code == code, result.output
            return result.output

        added = tocsin_cli(
            "add",
            "Alert on pool saturation",
            "--owner",
            "carol",
            "--incident",
            incident,
            "--type",
            "detect",
            "--due",
            "2026-02-27",
        )
        assert "AI-1" in added and incident in added and "payments" in added
        assert "(overdue)" in added
        tocsin_cli("add", "Rotate the handbook", "--team", "payments", "--priority", "P3")
        assert "no user 'nobody'" in tocsin_cli("add", "x", "--owner", "nobody", code=1)
        assert "needs the responder role" in tocsin_cli("add", "x", who=viewer, code=1)

        overdue = tocsin_cli("list", "--overdue", who=viewer)
        assert "AI-1" in overdue and "AI-2" not in overdue
        first = tocsin_cli("list", "--limit", "1", who=viewer)
        assert "AI-2" in first and "more: add --cursor" in first
        listed = json.loads(tocsin_cli("list", "--status", "open", "--json", who=viewer))
        assert [item["reference"] for item in listed] == ["AI-2", "AI-1"]

        assert "reason: say why" in tocsin_cli("set", "AI-1", "--status", "wont_do", code=1)
        assert "nothing to change" in tocsin_cli("set", "AI-1", code=1)
        done = json.loads(tocsin_cli("set", "1", "--status", "done", "--json"))
        assert done[0]["status"] == "done"
        assert tocsin_cli("list", "--overdue", "--json", who=viewer).strip() == "[]"
