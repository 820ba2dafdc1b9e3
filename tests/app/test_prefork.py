"""The prefork supervisor, on real forked processes: restarts, giving up, stopping.

Each test runs a small supervisor in a subprocess (forking needs a process
without threads), whose workers leave a file per process they ran in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import processes

SCRIPT = """
import logging, os, signal, sys
from pathlib import Path
from tocsin.app.prefork import Supervisor

logging.basicConfig(level="INFO")
marks, mode = Path(sys.argv[1]), sys.argv[2]


def body(index, started):
    (marks / f"{index}-{os.getpid()}").touch()
    if mode == "fail":
        return 1
    started()
    if mode == "serve-briefly":
        return 3
    signal.pause()  # "serve": until a signal ends it
    return 0


sys.exit(Supervisor(2, body, first_delay=0.01, max_failed_starts=3, shutdown_seconds=5).run())
"""


def supervise(tmp_path: Path, mode: str) -> subprocess.Popen[bytes]:
    script = tmp_path / "supervise.py"
    script.write_text(SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    env = dict(os.environ, PYTHONPATH=str(processes.REPO))
    log = (tmp_path / "supervisor.log").open("ab")
    return subprocess.Popen(
        [sys.executable, str(script), str(marks), mode], env=env, stdout=log, stderr=log
    )


def runs(tmp_path: Path) -> dict[int, list[int]]:
    """The pids each worker ran as, by worker index."""
    found: dict[int, list[int]] = {}
    for mark in (tmp_path / "marks").iterdir():
        index, pid = mark.name.split("-")
        found.setdefault(int(index), []).append(int(pid))
    return found


def test_workers_that_keep_failing_before_serving_make_the_supervisor_give_up(
    tmp_path: Path,
) -> None:
    supervisor = supervise(tmp_path, "fail")
    with processes.running([supervisor]):
        assert supervisor.wait(30) == 1
    counts = sorted(len(pids) for pids in runs(tmp_path).values())
    assert counts[-1] == 3  # the third failure in a row of one worker ends it all
    assert "before serving, 3 times in a row: stopping" in (tmp_path / "supervisor.log").read_text()


def test_a_worker_that_served_is_restarted_however_often_it_dies(tmp_path: Path) -> None:
    supervisor = supervise(tmp_path, "serve-briefly")
    with processes.running([supervisor]):
        processes.wait_for(
            lambda: any(len(pids) > 6 for pids in runs(tmp_path).values()),
            timeout=30,
            what="a worker restarted more often than max_failed_starts",
        )
        assert supervisor.poll() is None
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(10) == 0


def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    supervisor = supervise(tmp_path, "serve")
    with processes.running([supervisor]):
        processes.wait_for(lambda: len(runs(tmp_path)) == 2, timeout=30, what="two workers")
        [killed] = runs(tmp_path)[1]
        os.kill(killed, signal.SIGKILL)
        processes.wait_for(
            lambda: len(runs(tmp_path)[1]) == 2, timeout=30, what="worker 1 forked again"
        )
        living = [runs(tmp_path)[0][0], *(pid for pid in runs(tmp_path)[1] if pid != killed)]
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(10) == 0
    assert not [pid for pid in living if Path(f"/proc/{pid}").exists()]  # reaped
    assert (
        "worker 1 was killed by signal 9; starting it again"
        in (tmp_path / "supervisor.log").read_text()
    )
