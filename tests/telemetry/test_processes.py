"""``tocsin serve --workers 2``: whichever worker answers ``/metrics`` counts for both.

The counts add up only if prometheus-client is switched to its multiprocess
mode before it is first imported, so the server must not import it early.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.support import payload
from tests.support import processes
from tests.support.databases import database_url, postgres_base_url
from tests.telemetry.support import Scrape
from tocsin.alerts import integrations
from tocsin.alerts.config_schema import IntegrationConfig
from tocsin.app.service import Tocsin
from tocsin.kernel.settings import Settings
from tocsin.telemetry.processes import FOLDER, shared


def test_the_server_does_not_import_prometheus_client_before_it_is_set_up() -> None:
    code = (
        "import sys, tocsin.app.cli, tocsin.app.serving, tocsin.app.service; "
        "print('prometheus_client' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=processes.REPO,
        env={**os.environ, "PYTHONPATH": str(processes.REPO)},
    )
    assert result.stdout.strip() == "False"


def test_sharing_after_prometheus_client_was_imported_is_refused(tmp_path: Path) -> None:
    import prometheus_client  # noqa: F401  # as any test of this process may have done

    with pytest.raises(RuntimeError, match="would not add up"), shared(tmp_path):
        pass
    assert not (tmp_path / FOLDER).exists()


def _integration(url: str, data_dir: Path) -> str:
    """An Alertmanager integration, made before the server starts (which then migrates nothing)."""
    tocsin = Tocsin.open(Settings.load(data_dir=data_dir, database_url=url))
    try:
        with tocsin.database.transaction() as session:
            config = IntegrationConfig.model_validate({"service": "shop", "type": "alertmanager"})
            return integrations.create(
                session, "prometheus", config, actor="test", now=tocsin.clock.now()
            )
    finally:
        tocsin.close()


def _received(base: str) -> float:
    """Signals the integration sent, accepted or deduplicated, as one scrape says."""
    answer = httpx.get(f"{base}/metrics")  # from this machine: no token needed
    assert answer.status_code == 200, answer.text
    scrape = Scrape(answer.text)
    return sum(
        scrape.value("tocsin_alerts_received_total", integration="prometheus", result=result)
        for result in ("accepted", "deduplicated")
    )


@pytest.mark.slow
@pytest.mark.skipif(postgres_base_url() is None, reason="needs TOCSIN_TEST_POSTGRES_URL")
def test_two_workers_counts_add_up_survive_a_restart_and_are_cleaned_up(tmp_path: Path) -> None:
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    stale = tmp_path / FOLDER / "serve-999999999"  # a run whose parent is long gone
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"left behind")
    with database_url("postgresql", tmp_path) as url:
        key = _integration(url, tmp_path)
        env = processes.environment(url, tmp_path)
        server = processes.start(
            ["serve", "--port", str(port), "--workers", "2"], env, tmp_path / "serve.log"
        )
        with processes.running([server]):
            run = tmp_path / FOLDER / f"serve-{server.pid}"
            processes.wait_for(
                lambda: len(processes.children(server.pid)) == 2, timeout=30, what="2 workers"
            )
            workers = processes.children(server.pid)

            def ready() -> bool:
                try:
                    return httpx.get(f"{base}/readyz").status_code == 200
                except httpx.TransportError:
                    return False

            processes.wait_for(ready, timeout=30, what="/readyz to answer 200")
            assert not stale.exists()
            alerts: dict[str, Any] = payload("alertmanager_firing.json")  # two alerts each
            sent = 0

            def both_counted() -> bool:
                nonlocal sent
                # A connection each: the kernel hands each to either worker.
                answer = httpx.post(f"{base}/api/v1/integrations/{key}/alertmanager", json=alerts)
                assert answer.status_code == 202, answer.text
                sent += 2
                return all((run / f"counter_{pid}.db").exists() for pid in workers)

            processes.wait_for(both_counted, timeout=60, what="both workers to count alerts")
            for _ in range(10):  # whichever worker answers, it answers for both
                assert _received(base) == sent
            killed = min(workers)
            os.kill(killed, signal.SIGKILL)
            processes.wait_for(
                lambda: len(processes.children(server.pid) - workers) == 1,
                timeout=30,
                what="a new worker",
            )
            processes.wait_for(ready, timeout=30, what="/readyz after the restart")
            for _ in range(10):  # the dead worker's counts stay in the sums
                assert _received(base) == sent
            assert run.is_dir()
            server.send_signal(signal.SIGTERM)
            assert server.wait(30) == 0
        assert not run.exists()
