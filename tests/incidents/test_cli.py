"""Running an incident end to end with the CLI against a real ``tocsin serve``."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.support import processes
from tocsin.app.cli import app

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    env: dict[str, str]

    def tocsin(self, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(self.env, TOCSIN_URL=self.url, COLUMNS="200")
        if token is not None:
            env["TOCSIN_TOKEN"] = token
        return subprocess.run(
            [*processes.TOCSIN, *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=processes.REPO,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str, token: str) -> str:
        result = self.tocsin(*args, token=token)
        assert result.returncode == 0, f"tocsin {' '.join(args)}: {result.stderr}"
        return result.stdout


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("serve")
    data_dir = tmp_path / "data"
    port = processes.free_port()
    env = processes.environment(f"sqlite:///{data_dir / 'tocsin.db'}", data_dir)
    process = processes.start(
        ["serve", "--port", str(port), "--data-dir", str(data_dir)], env, tmp_path / "serve.log"
    )
    url = f"http://127.0.0.1:{port}"
    with processes.running([process]):

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/readyz").status_code == 200
            except httpx.TransportError:
                return False

        processes.wait_for(ready, timeout=30, what="/readyz to answer 200")
        yield Server(url, data_dir, env)


def token_for(server: Server, name: str, role: str) -> str:
    data_dir = ("--data-dir", str(server.data_dir))
    created = server.tocsin("user", "create", name, "--role", role, *data_dir)
    assert created.returncode == 0, created.stderr
    minted = server.tocsin("token", "create", "--user", name, *data_dir)
    assert minted.returncode == 0, minted.stderr
    return minted.stdout.strip()


def test_declare_assign_note_mitigate_resolve_and_export(server: Server) -> None:
    token = token_for(server, "ada", "admin")
    for name in ("cam", "oli", "sam"):
        token_for(server, name, "responder")

    out = server.ok(
        "declare", "Payment processing is failing", "--severity", "SEV-2",
        "--service", "payments", "--summary", "Card payments time out", token=token,
    )  # fmt: skip
    assert out.strip() == "declared INC-1: Payment processing is failing (SEV-2, triage)"

    for role, user in [
        ("incident_commander", "ada"),
        ("communications_lead", "cam"),
        ("operations_lead", "oli"),
        ("scribe", "sam"),
    ]:
        assert "INC-1 #" in server.ok("incident", "assign", "INC-1", role, user, token=token)
    server.ok("incident", "status", "INC-1", "responding", token=token)
    server.ok(
        "incident", "note", "INC-1", "Connection pool at 100%", "--kind", "observation",
        token=token,
    )  # fmt: skip
    server.ok("incident", "note", "INC-1", "Roll back to v3.4.1", "--kind", "decision", token=token)
    server.ok(
        "incident", "checklist", "INC-1", "--tick", "scribe.record-timeline-of-events", token=token
    )
    out = server.ok(
        "incident", "status", "INC-1", "mitigated", "--reason", "rolled back", token=token
    )
    assert "Status responding → mitigated" in out
    server.ok("incident", "status", "INC-1", "resolved", token=token)

    shown = re.sub(r" +", " ", server.ok("incident", "show", "INC-1", token=token))
    assert shown.startswith("INC-1: Payment processing is failing")
    for expected in (
        " status resolved ",
        " incident commander ada ",
        " communications lead cam ",
        " operations lead oli ",
        " scribe sam ",
        "Roll back to v3.4.1",
        "Status mitigated → resolved (resolve)",
    ):
        assert expected in shown, expected

    markdown = server.ok("incident", "export", "INC-1", token=token)
    assert markdown.startswith("# INC-1: Payment processing is failing")
    assert "- Status: resolved" in markdown
    assert "- Scribe: sam" in markdown
    assert "decision · ada: Roll back to v3.4.1" in markdown
    document = json.loads(server.ok("incident", "export", "INC-1", "--format", "json", token=token))
    kinds = [entry["kind"] for entry in document["entries"]]
    assert kinds.count("role_change") == 4
    notes = [e["text"] for e in document["entries"] if e["kind"] == "note" and e["author"] == "ada"]
    assert notes == ["Connection pool at 100%", "Roll back to v3.4.1"]
    assert document["incident"]["status"] == "resolved"

    listed = server.ok("incident", "list", "--status", "resolved", token=token)
    assert "INC-1" in listed and "1 of 1 incidents" in listed and "--cursor" not in listed
    server.ok("declare", "Slow logins", "--severity", "SEV-4", token=token)
    first = server.ok("incident", "list", "--limit", "1", token=token)
    assert "INC-2" in first and "INC-1" not in first and "1 of 2 incidents" in first
    cursor = first.rsplit("--cursor ", 1)[1].strip()
    rest = server.ok("incident", "list", "--limit", "1", "--cursor", cursor, token=token)
    assert "INC-1" in rest and "INC-2" not in rest and "--cursor" not in rest
    suggested = server.ok("classify", "--users", "5%", "--revenue", "50%", token=token)
    assert suggested.splitlines()[0] == "suggested level: SEV-1"


def test_errors_are_one_line_with_the_servers_message(server: Server) -> None:
    token = token_for(server, "vic", "viewer")
    admin = token_for(server, "root", "admin")
    server.ok("declare", "Disk full", "--severity", "SEV-4", token=admin)

    def error(*args: str, token: str | None) -> str:
        result = server.tocsin(*args, token=token)
        assert result.returncode == 1, result.stdout
        assert result.stderr.count("\n") == 1, result.stderr
        return result.stderr.strip()

    assert error("incident", "list", token=None).startswith("error: not authenticated:")
    assert "(pass --token or set TOCSIN_TOKEN)" in error("incident", "list", token=None)
    assert error("incident", "list", token="tcs_wrong").startswith("error: not authenticated:")
    assert error("declare", "x", "--severity", "SEV-1", token=token) == (
        "error: not allowed: this action needs the responder role"
    )
    assert error("incident", "show", "INC-99", token=token) == (
        "error: not found: no incident 'INC-99'"
    )
    assert error("incident", "status", "INC-1", "closed", token=admin) == (
        "error: refused: INC-1: cannot go from triage to closed; allowed: responding, "
        "mitigated, resolved"
    )
    assert error("incident", "severity", "INC-1", "SEV-9", "--reason", "x", token=admin) == (
        "error: invalid input: severity: unknown severity 'SEV-9'; configured levels: "
        "SEV-1, SEV-2, SEV-3, SEV-4"
    )


def test_connection_refused_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{processes.free_port()}"
    result = CliRunner().invoke(app, ["incident", "list", "--url", url, "--token", "x"])
    assert result.exit_code == 1
    assert f"cannot reach Tocsin at {url}: connection refused" in result.stderr
