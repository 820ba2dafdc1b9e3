"""``tocsin status ...`` against a served Tocsin."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.alerts.support import served
from tests.conftest import Caller
from tests.statuspage.support import declare, ok, set_up
from tocsin.app.cli import app
from tocsin.app.service import Tocsin


def test_status_commands_confirm_publish_update_and_schedule(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    reference = declare(client, responder)
    runner = CliRunner()
    with served(tocsin) as url:
        env = {"TOCSIN_URL": url, "TOCSIN_TOKEN": responder.token, "COLUMNS": "200"}

        def run(*args: str, code: int = 0) -> str:
            result = runner.invoke(app, ["status", *args], env=env)
            assert result.exit_code == code, result.output
            return result.output

        listed = run("components")
        assert "major_outage" in listed and f"{reference} (SEV-1) on checkout" in listed
        assert "Checkout: major_outage" in run("confirm", "Checkout")
        assert "nothing is proposed for Checkout" in run("confirm", "Checkout", code=1)
        published = run(
            "publish",
            reference,
            "--name",
            "Checkout errors",
            "--body",
            "Investigating.",
            "-c",
            "Payments API=partial_outage",
        )
        code = published.split()[0]
        assert "investigating  Checkout errors" in published
        updated = run("update", code, "resolved", "--body", "Fixed.", "--no-notify")
        assert "latest: resolved: Fixed." in updated
        assert "--component: expected NAME=STATUS" in run(
            "update", code, "resolved", "--body", "x", "-c", "Checkout", code=1
        )
        assert "invalid input" in run(
            "maintenance",
            "--name",
            "Upgrade",
            "--body",
            "Short pauses.",
            "--start",
            "2099-01-01T10:00:00Z",
            "--end",
            "2099-01-01T09:00:00Z",
            "-c",
            "Checkout",
            code=1,
        )
        run(
            "maintenance",
            "--name",
            "Upgrade",
            "--body",
            "Short pauses.",
            "--start",
            "2099-01-01T10:00:00Z",
            "--end",
            "2099-01-01T11:00:00Z",
            "-c",
            "Checkout",
        )
        assert "maintenance  scheduled  Upgrade" in run("list")
    summary = ok(client.get("/api/v2/summary.json"))
    statuses = {c["name"]: c["status"] for c in summary["components"]}
    # Resolving frees the public incident's components; Checkout was set apart from it.
    assert (statuses["Payments API"], statuses["Checkout"]) == ("operational", "major_outage")
