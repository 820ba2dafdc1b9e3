"""What the benchmarks of the API over a large history share.

Seeding: rows inserted in batches straight into the tables (COPY on
PostgreSQL), the sequences set past them. Databases: SQLite kept in a folder
keyed by size and migration files (so a second run skips seeding), PostgreSQL
a database of its own per run, dropped afterwards. Serving: the real app
in-process (Starlette's TestClient) with a token of a new user. Timing: a
wall-time p95 with the median CPU time of this process per request.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import ColumnDefault, Table, create_engine, insert, text
from sqlalchemy.engine import make_url

from tocsin import db
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.kernel.settings import Settings

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 20_000


@dataclass(frozen=True)
class Timing:
    """p95 wall time of a request, and the median CPU time this process spent on one."""

    wall_ms: float
    cpu_ms: float

    def __str__(self) -> str:
        return f"{self.wall_ms:7.1f} ms (cpu {self.cpu_ms:5.1f})"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def timed(client: TestClient, path: str, params: dict[str, Any], headers: Any, n: int) -> Timing:
    """``n`` identical requests (after one unmeasured warm-up).

    CPU time is this process's (app, driver, SQLite; not PostgreSQL's server):
    it varies less than wall time on a shared machine.
    """
    walls, cpus = samples(client, path, n, params=params, headers=headers)
    return Timing(p95(walls), statistics.median(cpus))


def samples(
    client: TestClient, path: str, n: int, **request: Any
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``n`` GETs of ``path`` (``request``: the client's
    options), after one unmeasured warm-up; anything but a 200 stops the run."""
    walls, cpus = [], []
    for attempt in range(n + 1):
        start, cpu = time.perf_counter(), time.process_time()
        answer = client.get(path, **request)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        if answer.status_code != 200:
            asked = request.get("params") or ""
            raise RuntimeError(f"{path} {asked}: {answer.status_code} {answer.text[:300]}")
        if attempt:
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
    return walls, cpus


# --- seeding -------------------------------------------------------------------------


def insert_rows(tocsin: Tocsin, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    """Insert ``rows`` in batches, one transaction each; how many."""
    target: Table = table.__table__
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            count += _flush(tocsin, target, batch)
            batch = []
    return count + _flush(tocsin, target, batch)


def _flush(tocsin: Tocsin, target: Table, batch: list[dict[str, Any]]) -> int:
    """One transaction of rows: COPY on PostgreSQL, a multi-row insert on SQLite."""
    if not batch:
        return 0
    with tocsin.database.engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            conn.execute(insert(target), batch)
            return len(batch)
        # COPY skips the models' Python-side defaults: add them.
        defaults = {
            column.name: column.default.arg
            for column in target.columns
            if column.name not in batch[0] and isinstance(column.default, ColumnDefault)
        }
        if any(callable(value) for value in defaults.values()):
            raise ValueError(f"{target.name}: give every column with a callable default")
        columns = [*batch[0], *defaults]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {target.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row([_plain({**defaults, **row}[column]) for column in columns])
    return len(batch)


def _plain(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def settle(tocsin: Tocsin, tables: tuple[str, ...]) -> None:
    """On PostgreSQL: each of ``tables``' id sequence past its rows, then VACUUM ANALYZE."""
    with tocsin.database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                autocommit.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            autocommit.exec_driver_sql("VACUUM ANALYZE")


# --- databases -----------------------------------------------------------------------


def schema_key() -> str:
    """A digest of the migration files, so a cached database matches the code's schema."""
    digest = hashlib.sha256()
    folder = Path(db.__file__).parent / "migrations" / "versions"
    for path in sorted(folder.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@contextmanager
def database(backend: str, data: Path, postgres_url: str, key: str) -> Iterator[Settings]:
    if backend == "sqlite":
        folder = data / key
        folder.mkdir(parents=True, exist_ok=True)
        yield Settings.load(data_dir=folder, database_url=f"sqlite:///{folder / 'tocsin.db'}")
        return
    name = f"tocsin_bench_lists_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        yield Settings.load(data_dir=data, database_url=url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


# --- serving -------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    client: TestClient
    #: A new user's bearer token.
    headers: dict[str, str]


@contextmanager
def served(
    backend: str,
    args: argparse.Namespace,
    key: str,
    seed: Callable[[Tocsin], dict[str, int]],
    role: str,
) -> Iterator[Served]:
    """The app over a seeded database (seeded now unless a cached SQLite one is), as ``role``.

    ``args`` are the command's: ``data`` (the SQLite cache folder, where ``key``
    names the database) and ``postgres`` (the server's URL).
    """
    with database(backend, Path(args.data), args.postgres, key) as settings:
        tocsin = Tocsin.open(settings)
        try:
            marker = Path(settings.data_dir) / "seeded"
            if backend == "postgresql" or not marker.exists():
                started = time.perf_counter()
                counts = seed(tocsin)
                print(
                    f"{backend}: seeded {counts} in {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
                if backend == "sqlite":
                    marker.write_text("ok")
            else:
                print(f"{backend}: using the seeded database in {settings.data_dir}", flush=True)
            with tocsin.database.transaction() as session:
                user = accounts.create_user(
                    session,
                    now=tocsin.clock.now(),
                    actor="bench",
                    name=f"bench-{uuid.uuid4().hex[:6]}",
                    email="bench@example.com",
                    role=role,
                )
                _, token = accounts.create_token(
                    session, user, now=tocsin.clock.now(), actor="bench"
                )
            app = create_app(tocsin, start_engine=False)
            with TestClient(app, base_url="https://testserver") as client:
                yield Served(client, {"Authorization": f"Bearer {token}"})
        finally:
            tocsin.close()
