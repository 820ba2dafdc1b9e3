"""``tocsin serve``, as a real process: ready within seconds; on PostgreSQL, N workers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support import processes
from tests.support.databases import database_url, postgres_base_url

pytestmark = pytest.mark.slow


def test_serve_on_empty_data_dir_is_ready_quickly(tmp_path: Path) -> None:
    port = processes.free_port()
    data_dir = tmp_path / "fresh"
    env = processes.environment(f"sqlite:///{data_dir / 'tocsin.db'}", data_dir)
    started = time.monotonic()
    server = processes.start(
        ["serve", "--port", str(port), "--data-dir", str(data_dir)], env, tmp_path / "serve.log"
    )
    with processes.running([server]):

        def ready() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
            except httpx.TransportError:
                return False

        processes.wait_for(ready, timeout=30, what="/readyz to answer 200")
        elapsed = time.monotonic() - started
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/users").status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/status").status_code == 200
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert spec["info"]["title"] == "Tocsin"
    print(f"ready after {elapsed:.2f}s")  # the target is 5 s; reported, not asserted


@pytest.mark.skipif(postgres_base_url() is None, reason="needs TOCSIN_TEST_POSTGRES_URL")
def test_workers_on_postgresql_share_the_port_are_restarted_and_stop_together(
    tmp_path: Path,
) -> None:
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with database_url("postgresql", tmp_path) as url:
        env = processes.environment(url, tmp_path)
        server = processes.start(
            ["serve", "--port", str(port), "--workers", "2"], env, tmp_path / "serve.log"
        )
        with processes.running([server]):

            def ready() -> bool:
                try:
                    return httpx.get(f"{base}/readyz").status_code == 200
                except httpx.TransportError:
                    return False

            processes.wait_for(
                lambda: len(processes.children(server.pid)) == 2, timeout=30, what="2 workers"
            )
            first = processes.children(server.pid)
            processes.wait_for(ready, timeout=30, what="/readyz to answer 200")
            for _ in range(10):  # whichever worker answers, it is ready and serves the API
                assert httpx.get(f"{base}/readyz").json()["checks"]["engine"] == "running"
                assert httpx.get(f"{base}/api/v1/users").status_code == 401
            killed = min(first)
            os.kill(killed, signal.SIGKILL)
            processes.wait_for(
                lambda: len(processes.children(server.pid) - first) == 1,
                timeout=30,
                what="a new worker",
            )
            processes.wait_for(ready, timeout=30, what="/readyz after the restart")
            workers = processes.children(server.pid)
            server.send_signal(signal.SIGTERM)
            assert server.wait(30) == 0
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    log = (tmp_path / "serve.log").read_text()
    assert f"worker {sorted(first).index(killed)} was killed by signal 9; starting it again" in log
    assert "2 worker processes" in log


@pytest.mark.skipif(postgres_base_url() is None, reason="needs TOCSIN_TEST_POSTGRES_URL")
def test_workers_beyond_engine_workers_leave_the_jobs_to_the_others(tmp_path: Path) -> None:
    port = processes.free_port()
    with database_url("postgresql", tmp_path) as url:
        env = processes.environment(url, tmp_path)
        args = ["serve", "--port", str(port), "--workers", "2", "--engine-workers", "1"]
        server = processes.start(args, env, tmp_path / "serve.log")
        with processes.running([server]):
            engines: set[str] = set()

            def both_seen() -> bool:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/readyz")
                except httpx.TransportError:
                    return False
                if answer.status_code == 200:
                    engines.add(answer.json()["checks"]["engine"])
                return engines == {"running", "elsewhere"}

            processes.wait_for(both_seen, timeout=60, what="both workers ready, one engine")
