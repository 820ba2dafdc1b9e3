"""The alert and alert-group lists: cursor pages, capped totals, old offsets, indexes, queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert
from typer.testing import CliRunner

from tests.alerts.support import served
from tests.conftest import Caller
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.db.keyset import COUNT_CAP

START = datetime(2026, 1, 1, tzinfo=UTC)
ALERTS = "/api/v1/alerts"
GROUPS = "/api/v1/alert-groups"
#: Alert filters (every documented one, and each with a service) and what they keep.
ALERT_FILTERS: list[dict[str, str]] = [
    {},
    {"status": "open"},
    {"status": "triggered"},
    {"status": "acknowledged"},
    {"status": "resolved"},
    {"service": "db"},
    {"status": "open", "service": "db"},
    {"status": "triggered", "service": "db"},
    {"status": "resolved", "service": "web"},
]
GROUP_FILTERS: list[dict[str, str]] = [
    {},
    {"status": "open"},
    {"status": "resolved"},
    {"service": "db"},
    {"status": "open", "service": "web"},
]


def _group(n: int) -> dict[str, Any]:
    at = START + timedelta(minutes=n)
    return {
        "id": n,
        "service": ("web", "db")[n % 2],
        "group_key": f"g{n}",
        "status": "open" if n % 3 == 0 else "resolved",
        "title": f"group {n}",
        "rule": "rule",
        "labels": {},
        "urgency": "high",
        "alert_count": 2,
        "paging": False,
        "opened_at": at,
        "last_alert_at": at,
        "updated_at": at,
    }


def _alert(n: int) -> dict[str, Any]:
    at = START + timedelta(minutes=n)
    return {
        "service": ("web", "db", "db")[n % 3],
        "dedup_key": f"a{n}",
        "status": ("resolved", "triggered", "acknowledged", "resolved")[n % 4],
        "severity": "error",
        "summary": f"alert {n}",
        "integration": "prom",
        "source_type": "alertmanager",
        "labels": {},
        "annotations": {},
        "details": {},
        "links": [],
        "urgency": "high",
        "group_id": 1 + n % 20,
        "triggered_at": at,
        "last_event_at": at,
    }


def seed(tocsin: Tocsin, alerts: int, groups: int = 20) -> None:
    with tocsin.database.transaction() as session:
        session.execute(insert(AlertGroup), [_group(n) for n in range(1, groups + 1)])
        session.execute(insert(Alert), [_alert(n) for n in range(alerts)])


def matches(row: dict[str, Any], wanted: dict[str, str]) -> bool:
    status = wanted.get("status")
    if status == "open" and row["status"] == "resolved":
        return False
    if status not in (None, "open") and row["status"] != status:
        return False
    return wanted.get("service") in (None, row["service"])


def walk(
    client: TestClient, caller: Caller, path: str, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of a list, following next_cursor; and each page's body."""
    items: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    while True:
        answer = client.get(path, params={**params, **cursor}, headers=caller.headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        bodies.append(body)
        if body["next_cursor"] is None:
            return items, bodies
        cursor = {"cursor": body["next_cursor"]}


@pytest.mark.parametrize(
    ("path", "filters", "rows"),
    [*((ALERTS, f, 53) for f in ALERT_FILTERS), *((GROUPS, f, 20) for f in GROUP_FILTERS)],
)
def test_cursor_pages_show_every_match_once_newest_first(
    tocsin: Tocsin,
    client: TestClient,
    viewer: Caller,
    path: str,
    filters: dict[str, str],
    rows: int,
) -> None:
    seed(tocsin, alerts=53)
    everything = client.get(path, params={"limit": 500}, headers=viewer.headers).json()["items"]
    assert len(everything) == rows
    expected = [item["id"] for item in everything if matches(item, filters)]
    assert expected and expected == sorted(expected, reverse=True)
    items, bodies = walk(client, viewer, path, {**filters, "limit": 4})
    assert [item["id"] for item in items] == expected
    assert all(len(body["items"]) == 4 for body in bodies[:-1])
    assert {(body["total"], body["total_exact"]) for body in bodies} == {(len(expected), True)}


def test_offset_still_works_and_its_page_gives_a_cursor(
    tocsin: Tocsin, client: TestClient, viewer: Caller
) -> None:
    seed(tocsin, alerts=30)
    params: dict[str, str | int] = {"status": "resolved", "limit": 3}
    first, _ = walk(client, viewer, ALERTS, params)
    skipped = client.get(ALERTS, params={**params, "offset": 4}, headers=viewer.headers).json()
    assert [item["id"] for item in skipped["items"]] == [item["id"] for item in first[4:7]]
    following = client.get(
        ALERTS, params={**params, "cursor": skipped["next_cursor"]}, headers=viewer.headers
    ).json()
    assert [item["id"] for item in following["items"]] == [item["id"] for item in first[7:10]]


@pytest.mark.parametrize("path", [ALERTS, GROUPS])
@pytest.mark.parametrize("cursor", ["nonsense!", "WzEsMl0", "x" * 513])
def test_a_cursor_not_made_by_the_list_is_refused_naming_cursor(
    client: TestClient, viewer: Caller, path: str, cursor: str
) -> None:
    answer = client.get(path, params={"cursor": cursor}, headers=viewer.headers)
    assert answer.status_code == 422
    assert "cursor" in answer.text


def test_totals_stop_at_the_cap(tocsin: Tocsin, client: TestClient, viewer: Caller) -> None:
    seed(tocsin, alerts=2 * COUNT_CAP + 8)
    body = client.get(ALERTS, params={"limit": 1}, headers=viewer.headers).json()
    assert (body["total"], body["total_exact"]) == (COUNT_CAP, False)
    # A quarter of the alerts are triggered: 5,002, counted exactly.
    triggered = client.get(ALERTS, params={"status": "triggered"}, headers=viewer.headers).json()
    assert (triggered["total"], triggered["total_exact"]) == ((2 * COUNT_CAP + 8) // 4, True)


@contextmanager
def statements(tocsin: Tocsin) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs sent to the database meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(tocsin.database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(tocsin.database.engine, "before_cursor_execute", record)


def _lists(client: TestClient, viewer: Caller, limit: int) -> Iterator[tuple[str, int]]:
    """Each list filter's query count for one page of ``limit`` rows, after a cursor."""
    for path, filters in [
        *((ALERTS, f) for f in ALERT_FILTERS),
        *((GROUPS, f) for f in GROUP_FILTERS),
    ]:
        first = client.get(path, params={**filters, "limit": 1}, headers=viewer.headers).json()
        yield path, len(first["items"])
        params = {**filters, "limit": limit, "cursor": first["next_cursor"]}
        assert client.get(path, params=params, headers=viewer.headers).status_code == 200


def test_every_list_query_reads_an_index_in_list_order(
    tocsin: Tocsin, client: TestClient, viewer: Caller, backend: str
) -> None:
    """No list filter scans its table or sorts: each has an index in its order."""
    seed(tocsin, alerts=200)
    with statements(tocsin) as seen:
        assert all(shown == 1 for _, shown in _lists(client, viewer, limit=5))
    listed = [(s, p) for s, p in seen if "FROM alerts" in s or "FROM alert_groups" in s]
    assert len(listed) >= 3 * (len(ALERT_FILTERS) + len(GROUP_FILTERS))
    with tocsin.database.engine.connect() as conn:
        if backend == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_sort = off")
        for statement, parameters in listed:
            explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
            plan = " | ".join(
                str(row[-1]) for row in conn.exec_driver_sql(explain + statement, parameters)
            )
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, (statement, plan)
            # PostgreSQL: an index read whose rows are then filtered is a scan too, unless
            # the index holds open alerts only (the filter then keeps what it reads).
            assert "Seq Scan" not in plan, (statement, plan)
            assert "Filter" not in plan or "_open_" in plan, (statement, plan)
            # A SQLite SCAN reads a whole table or index: only unfiltered lists may
            # (stopping after the page or the cap), and open alerts' partial indexes.
            scans = [step for step in plan.split(" | ") if step.startswith("SCAN")]
            whole = [step for step in scans if "anon" not in step and "open" not in step]
            assert not whole or "WHERE" not in statement, (statement, plan)


def test_a_page_takes_the_same_queries_whatever_its_size(
    tocsin: Tocsin, client: TestClient, viewer: Caller
) -> None:
    seed(tocsin, alerts=200)
    with statements(tocsin) as small:
        list(_lists(client, viewer, limit=1))
    with statements(tocsin) as large:
        list(_lists(client, viewer, limit=100))
    assert len(small) == len(large)


def test_the_command_line_pages_with_a_cursor(tocsin: Tocsin, viewer: Caller) -> None:
    seed(tocsin, alerts=5)
    runner = CliRunner()
    with served(tocsin) as url:
        common = ["--url", url, "--token", viewer.token, "--limit", "3"]
        first = runner.invoke(app, ["alert", "list", *common], env={"COLUMNS": "200"})
        assert first.exit_code == 0, first.output
        assert "3 of 5" in first.output and "alert 4" in first.output
        cursor = first.output.split("More: --cursor ")[1].split()[0]
        rest = runner.invoke(
            app, ["alert", "list", *common, "--cursor", cursor], env={"COLUMNS": "200"}
        )
    assert rest.exit_code == 0, rest.output
    assert "alert 1" in rest.output and "alert 4" not in rest.output
    assert "More:" not in rest.output
