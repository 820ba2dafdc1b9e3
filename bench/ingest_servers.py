"""The servers ``bench/ingest.py`` drives, their databases, and what it reads of them.

A server is a process tree (``tocsin serve --workers N`` and ``uvicorn
--workers N`` fork or spawn workers): its CPU time is the sum over the tree,
plus what its exited children used; its memory is each process's peak RSS.
On PostgreSQL each run gets a database of its own, so that its deadlock count
(``pg_stat_database.deadlocks``) is the run's alone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tocsin.kernel.settings import Settings

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"

CEILING_APP = """
from fastapi import FastAPI
from tocsin.inbound.alertmanager import AlertmanagerPayload
from tocsin.inbound.pagerduty import PagerDutyEvent

app = FastAPI()


@app.post("/v2/enqueue", status_code=202)
async def enqueue(event: PagerDutyEvent) -> dict[str, str]:
    return {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key or ""}


@app.post("/api/v1/integrations/{key}/alertmanager", status_code=202)
async def alertmanager(key: str, payload: AlertmanagerPayload) -> dict[str, str]:
    return {"status": "accepted"}
"""


# --- process trees ----------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (index 0 is the state)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def tree(pid: int) -> list[int]:
    """``pid`` and its living descendants."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(int(stat.parent.name))
        if fields is not None and fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found = [pid]
    for member in found:
        found.extend(child for child, parent in parents.items() if parent == member)
    return found


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the tree has used so far, its reaped children's included."""
    root = _stat(pid)
    if root is None:
        return None
    ticks = int(root[13]) + int(root[14])  # cutime, cstime: children waited for
    for member in tree(pid):
        fields = _stat(member)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """Seconds of CPU the whole machine has spent busy, and seconds stolen by the hypervisor.

    Busy is every process's user, nice, system and interrupt time (the
    server's, PostgreSQL's, the load generator's); steal is time this VM's
    CPUs wanted and did not get.
    """
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / ticks, steal / ticks


def peak_rss_mb(pid: int) -> list[float]:
    """Each living process's peak resident memory (VmHWM) in the tree, in MB."""
    peaks: list[float] = []
    for member in tree(pid):
        try:
            lines = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:
            continue
        peaks.extend(int(line.split()[1]) / 1024 for line in lines if line.startswith("VmHWM:"))
    return peaks


# --- servers -----------------------------------------------------------------------


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def process(args: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[int]:
    with log.open("ab") as output:
        child = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_ready(ready, child)
        yield child.pid
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


@contextmanager
def ceiling(directory: Path, workers: int) -> Iterator[tuple[int, int]]:
    """The no-op app under uvicorn, with ``workers`` processes like ``tocsin serve``."""
    (directory / "ceiling_app.py").write_text(CEILING_APP)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=f"{directory}:{REPO}")
    command = [sys.executable, "-m", "uvicorn", "ceiling_app:app", "--host", HOST]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    if workers > 1:
        command += ["--workers", str(workers)]
    with process(command, env, f"http://{HOST}:{port}/docs", directory / "ceiling.log") as pid:
        yield port, pid


@contextmanager
def tocsin_server(settings: Settings, directory: Path, workers: int) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = dict(
        os.environ,
        TOCSIN_DATABASE_URL=settings.database_url,
        TOCSIN_DATA_DIR=str(settings.data_dir),
        PYTHONPATH=str(REPO),
    )
    command = [sys.executable, "-m", "tocsin", "serve", "--host", HOST, "--port", str(port)]
    command += ["--log-level", "warning", "--workers", str(workers)]
    with process(command, env, f"http://{HOST}:{port}/readyz", directory / "serve.log") as pid:
        yield port, pid


# --- databases ----------------------------------------------------------------------


class Database:
    """A database for one run: SQLite in its own folder, or a PostgreSQL database of its own."""

    def __init__(self, settings: Settings, admin: Engine | None, name: str | None) -> None:
        self.settings = settings
        self._admin = admin
        self._name = name

    def deadlocks(self) -> int | None:
        """PostgreSQL's count of deadlocks in this database so far (None on SQLite).

        A backend reports its counts when it goes idle or exits: read this once
        the server has stopped (:func:`database` waits for its connections to end).
        """
        if self._admin is None:
            return None
        with self._admin.connect() as conn:
            found = conn.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = :name"),
                {"name": self._name},
            ).scalar()
        return int(found or 0)

    def wait_idle(self, timeout: float = 10) -> None:
        """Wait until no connection to this database remains (their statistics are in)."""
        if self._admin is None:
            return
        deadline = time.monotonic() + timeout
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
        while time.monotonic() < deadline:
            with self._admin.connect() as conn:
                if not conn.execute(query, {"name": self._name}).scalar():
                    return
            time.sleep(0.1)


@contextmanager
def database(backend: str, directory: Path, postgres_url: str) -> Iterator[Database]:
    if backend == "sqlite":
        data = directory / f"sqlite-{uuid.uuid4().hex[:6]}"
        url = f"sqlite:///{data / 'tocsin.db'}"
        yield Database(Settings.load(data_dir=data, database_url=url), None, None)
        return
    name = f"tocsin_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(False)
    try:
        yield Database(Settings.load(data_dir=directory, database_url=url), admin, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable(url: str) -> bool:
    try:
        with create_engine(url).connect():
            return True
    except Exception:
        return False
