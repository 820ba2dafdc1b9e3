"""The first hour: ``make run PORT=...``, what it prints, a port in use, serving HTTPS."""

from __future__ import annotations

import shlex
import socket
import subprocess
from pathlib import Path

import httpx
import pagerduty
import pytest
from typer.testing import CliRunner

from tests.alerts.support import Certificate, certificate
from tests.support import processes
from tocsin.app.cli import app
from tocsin.app.demo import PASSWORD_FILE


def make_run(port: int) -> list[str]:
    """The ``tocsin`` arguments that ``make run PORT=port`` runs."""
    shown = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", f"PORT={port}"],
        cwd=processes.REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    command = next(line for line in shown if "bin/tocsin serve" in line)
    return shlex.split(command.split("bin/tocsin", 1)[1])


def ready(url: str, tls: Certificate | None = None) -> bool:
    try:
        verify = tls.context() if tls else True
        return httpx.get(f"{url}/readyz", verify=verify).status_code == 200
    except httpx.TransportError:
        return False


def tocsin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*processes.TOCSIN, *args],
        env=env,
        cwd=processes.REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_make_run_serves_the_demo_on_the_port_asked_for(tmp_path: Path) -> None:
    port = processes.free_port()
    data_dir = tmp_path / "a-data-directory-with-a-name-long-enough-to-need-wrapping"
    # Narrow columns: a wrapped line would split the password file's path.
    env = processes.environment(f"sqlite:///{data_dir / 'tocsin.db'}", data_dir, COLUMNS="40")
    log = tmp_path / "serve.log"
    server = processes.start(make_run(port), env, log)
    with processes.running([server]):
        url = f"http://127.0.0.1:{port}"
        processes.wait_for(lambda: ready(url), timeout=60, what=f"{url}/readyz to answer 200")
    lines = log.read_text().splitlines()
    assert "Demo users: alice (admin), bruno, chen, dana, erin (viewer)." in lines
    assert (
        "Only alice can log in to the console (the other demo users have no password); "
        f"alice's password is in {data_dir / PASSWORD_FILE}"
    ) in lines
    assert any(line.startswith(f"Tocsin on {url}  (database sqlite:///") for line in lines)


@pytest.mark.slow
def test_a_port_in_use_is_one_clear_line_and_no_announcement(tmp_path: Path) -> None:
    env = processes.environment(f"sqlite:///{tmp_path / 'tocsin.db'}", tmp_path, COLUMNS="40")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = tocsin(env, "serve", "--port", str(port))
    assert result.returncode == 1
    assert "Tocsin on" not in result.stdout
    assert result.stderr.splitlines() == [
        f"error: --port: port {port} on 127.0.0.1 is already in use (another Tocsin?); "
        "choose another with --port (make run PORT=...)"
    ]


@pytest.mark.slow
def test_serve_over_https_for_the_pagerduty_client_library(tmp_path: Path) -> None:
    tls = certificate(tmp_path)
    port = processes.free_port()
    env = processes.environment(f"sqlite:///{tmp_path / 'tocsin.db'}", tmp_path)
    log = tmp_path / "serve.log"
    args = ["--demo", "--port", str(port), "--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
    server = processes.start(["serve", *args], env, log)
    url = f"https://127.0.0.1:{port}"
    with processes.running([server]):
        processes.wait_for(lambda: ready(url, tls), timeout=60, what=f"{url}/readyz")
        assert f"Tocsin on {url}  " in log.read_text()
        token = tocsin(env, "token", "create", "--user", "alice", "--name", "test").stdout.strip()
        remote = ["--url", url, "--token", token]
        untrusted = tocsin(env, "integration", "list", *remote)
        assert untrusted.returncode == 1
        assert "its TLS certificate is not trusted" in untrusted.stderr
        trusting = {**env, "SSL_CERT_FILE": str(tls.cert)}
        created = tocsin(
            trusting, "integration", "create", "app-events", "--service", "checkout",
            "--type", "pagerduty", *remote,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        key = created.stdout.split("Key (shown once): ")[1].split()[0]
        assert f"Send to: {url}/v2/enqueue (routing_key: {key})" in created.stdout

        events = pagerduty.EventsApiV2Client(key, base_url=url, verify=tls.context())
        dedup = events.trigger("Checkout p99 above 2s", "checkout-api-1", dedup_key="p99")
        assert dedup == "p99"
        listed = httpx.get(
            f"{url}/api/v1/alerts",
            headers={"Authorization": f"Bearer {token}"},
            verify=tls.context(),
        ).json()
        assert [item["summary"] for item in listed["items"]] == ["Checkout p99 above 2s"]


def test_tls_options_are_checked_before_anything_starts(tmp_path: Path) -> None:
    runner = CliRunner()
    serve = ["serve", "--data-dir", str(tmp_path)]
    alone = runner.invoke(app, [*serve, "--tls-key", str(tmp_path / "key.pem")])
    assert alone.exit_code == 1
    assert alone.stderr.strip() == "error: --tls-key: needs --tls-cert as well"
    missing = runner.invoke(app, [*serve, "--tls-cert", str(tmp_path / "cert.pem")])
    assert missing.exit_code == 1
    assert missing.stderr.strip() == f"error: --tls-cert: no such file: {tmp_path / 'cert.pem'}"
    (tmp_path / "cert.pem").write_text("not a certificate\n")
    broken = runner.invoke(app, [*serve, "--tls-cert", str(tmp_path / "cert.pem")])
    assert broken.exit_code == 1
    assert broken.stderr.startswith("error: --tls-cert/--tls-key: cannot load the certificate")
    assert not (tmp_path / "tocsin.db").exists()


def test_a_public_url_without_a_scheme_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["serve", "--data-dir", str(tmp_path)],
        env={"TOCSIN_PUBLIC_URL": "tocsin.example.com"},
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: TOCSIN_PUBLIC_URL: expected a URL like https://tocsin.example.com, "
        "got 'tocsin.example.com'"
    )
