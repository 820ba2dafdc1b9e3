"""Benchmark: the client CPU psycopg spends on one statement, the floor under ingest on PostgreSQL.

Run with ``.venv/bin/python bench/driver.py [--postgres URL] [--statements N]``.

Ingest on PostgreSQL runs about three statements per alert (one upsert per
repeat, about five for a new alert, six per committed batch). Whatever Tocsin
does around them, each costs the server process the driver's own CPU: this
measures it, on a table of its own (dropped afterwards), for

- ``SELECT 1``, prepared: the least a statement costs;
- a one-row ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` with a JSON
  column, prepared, committed every 8 statements (a batch);
- the same 8 statements pipelined, one round trip per batch;
- the same 8 statements through ``executemany(returning=True)``.

Each figure is the best of 3 rounds of the process's CPU time (not wall time)
per statement.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable

import psycopg

UPSERT = (
    "INSERT INTO {table} (k, n, body) VALUES (%s, 1, %s) "
    "ON CONFLICT (k) DO UPDATE SET n = {table}.n + 1 RETURNING id, n, body"
)
BATCH = 8


def measure(statements: int, run: Callable[[], None]) -> float:
    """Best of 3: CPU milliseconds of this process per statement."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        run()
        best = min(best, (time.process_time() - started) * 1000 / statements)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TOCSIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"),
    )
    parser.add_argument("--statements", type=int, default=4000)
    args = parser.parse_args()
    url = args.postgres.replace("postgresql+psycopg://", "postgresql://")
    table = f"tocsin_bench_{uuid.uuid4().hex[:8]}"
    upsert = UPSERT.format(table=table)
    count = args.statements - args.statements % BATCH
    with psycopg.connect(url) as conn:
        conn.execute(
            f"CREATE TABLE {table} (id serial PRIMARY KEY, k text UNIQUE, n int, body jsonb)"
        )
        conn.commit()
        cursor = conn.cursor()

        def values(i: int) -> tuple[str, str]:
            return f"k{i % 1000}", json.dumps({"p99_ms": 2000 + i % 500})

        def select_one() -> None:
            for _ in range(count):
                cursor.execute("SELECT 1", prepare=True)
                cursor.fetchone()

        def one_by_one() -> None:
            for i in range(count):
                cursor.execute(upsert, values(i), prepare=True)
                cursor.fetchone()
                if i % BATCH == BATCH - 1:
                    conn.commit()

        def pipelined() -> None:
            for start in range(0, count, BATCH):
                with conn.pipeline():
                    cursors = []
                    for i in range(start, start + BATCH):
                        each = conn.cursor()
                        each.execute(upsert, values(i), prepare=True)
                        cursors.append(each)
                    for each in cursors:
                        each.fetchone()
                conn.commit()

        def executemany() -> None:
            for start in range(0, count, BATCH):
                cursor.executemany(
                    upsert, [values(i) for i in range(start, start + BATCH)], returning=True
                )
                while True:
                    cursor.fetchone()
                    if not cursor.nextset():
                        break
                conn.commit()

        try:
            print(f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}), {count} statements")
            print("| statement | client CPU ms/statement |")
            print("|---|---:|")
            for label, run in (
                ("SELECT 1, prepared", select_one),
                ("one-row upsert, prepared, commit per 8", one_by_one),
                ("the same, 8 pipelined per round trip", pipelined),
                ("the same, executemany(returning=True) of 8", executemany),
            ):
                print(f"| {label} | {measure(count, run):.3f} |")
        finally:
            conn.rollback()
            conn.execute(f"DROP TABLE {table}")
            conn.commit()


if __name__ == "__main__":
    main()
