"""Lists with a large history: first and hundredth page of every documented list filter.

Seeds a year of history directly with SQL (alerts, alert groups, incidents,
escalations, pages, audit entries, jobs), then asks the real app in-process
(Starlette's TestClient over ASGI: routing, authentication, validation,
serialization, the database) for each list's first page and its hundredth
page, following ``next_cursor`` (or the X-Next-Cursor header of the lists
that answer arrays) and sending ``offset`` where there is no cursor. Each
figure is a wall-time p95 over ``--repeat`` requests, with the median CPU
time of this process per request (steadier on a shared machine; PostgreSQL's
own CPU is not in it), printed beside the 50 ms target and beside a ceiling
measured in the same run: one alert read by id through the same stack.

    .venv/bin/python bench/lists.py                                  # full run
    .venv/bin/python bench/lists.py --alerts 100000 --incidents 10000 --repeat 5 \\
        --backends sqlite                                            # quick look

SQLite databases are kept in ``--data`` keyed by size and migration files, so
a second run skips seeding; PostgreSQL gets a database of its own per run,
dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from seeded import (
    DEFAULT_POSTGRES,
    Timing,
    insert_rows,
    schema_key,
    served,
    settle,
    timed,
)

from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.app.service import Tocsin
from tocsin.db.audit import AuditEntry
from tocsin.engine.tables import Job
from tocsin.incidents.tables import Incident, IncidentService, IncidentTag
from tocsin.paging.tables import EscalationRun, Page

TARGET_MS = 50.0
LIMIT = 50
DEEP = 100

#: Each list and its documented filters (values match what the seeder writes).
LISTS: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "/api/v1/alerts",
        [
            {},
            {"status": "open"},
            {"status": "triggered"},
            {"status": "acknowledged"},
            {"status": "resolved"},
            {"service": "service-7"},
            {"status": "open", "service": "service-7"},
            {"status": "resolved", "service": "service-7"},
        ],
    ),
    (
        "/api/v1/alert-groups",
        [{}, {"status": "open"}, {"status": "resolved"}, {"service": "service-7"}],
    ),
    (
        "/api/v1/incidents",
        [
            {},
            {"status": "closed"},
            {"status": ["triage", "responding", "mitigated"]},
            {"severity": "SEV-1"},
            {"service": "service-7"},
            {"tag": "tag-3"},
            {"drill": "true"},
            {"from": "2026-01-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"},
        ],
    ),
    ("/api/v1/escalations", [{}, {"state": "active"}, {"state": "resolved"}]),
    ("/api/v1/pages", [{}, {"state": "closed"}, {"state": "dead"}, {"user": "user-3"}]),
    (
        "/api/v1/audit",
        [{}, {"actor": "user-3"}, {"object_type": "service"}, {"since": "2026-06-01T00:00:00Z"}],
    ),
    ("/api/v1/jobs", [{}, {"state": "done"}, {"state": "dead"}, {"kind": "page.deliver"}]),
]


@dataclass(frozen=True)
class Figure:
    list_name: str
    filters: str
    first: Timing
    deep: Timing | None
    deep_page: int
    how: str

    @property
    def worst_ms(self) -> float:
        return max(self.first.wall_ms, self.deep.wall_ms if self.deep else 0)


def query_parameters(client: TestClient) -> dict[str, set[str]]:
    """The query parameters each GET list route accepts, from the app's OpenAPI schema."""
    schema = client.app.openapi()  # type: ignore[attr-defined]
    accepted: dict[str, set[str]] = {}
    for path, operations in schema["paths"].items():
        get = operations.get("get", {})
        accepted[path] = {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
    return accepted


def deep_params(
    client: TestClient, path: str, params: dict[str, Any], headers: Any, accepted: set[str]
) -> tuple[dict[str, Any] | None, int, str]:
    """Parameters of the hundredth page (or the last one reached), its number, and how."""
    answer = client.get(path, params=params, headers=headers)
    first = answer.json()
    if "cursor" in accepted:
        page, cursor = 1, None
        following = _next_cursor(answer)
        while page < DEEP and following is not None:
            cursor = following
            answer = client.get(path, params={**params, "cursor": cursor}, headers=headers)
            following = _next_cursor(answer)
            page += 1
        deep = params if cursor is None else {**params, "cursor": cursor}
        return deep, page, "cursor"
    if "offset" in accepted:
        total = first.get("total") if isinstance(first, dict) else None
        page = DEEP if total is None else max(1, min(DEEP, -(-total // LIMIT)))
        return {**params, "offset": (page - 1) * LIMIT}, page, "offset"
    return None, 0, "no cursor or offset"


def _next_cursor(answer: Any) -> str | None:
    """The next page's cursor: an object's ``next_cursor``, an array's X-Next-Cursor header."""
    body = answer.json()
    if isinstance(body, dict):
        found = body.get("next_cursor")
        return found if isinstance(found, str) else None
    header: str | None = answer.headers.get("X-Next-Cursor")
    return header


def measure(client: TestClient, headers: Any, repeat: int) -> tuple[Timing, list[Figure]]:
    accepted = query_parameters(client)
    ceiling = timed(client, "/api/v1/alerts/1", {}, headers, repeat * 5)
    figures = []
    for path, filter_sets in LISTS:
        for filters in filter_sets:
            params = {**filters, "limit": LIMIT}
            first = timed(client, path, params, headers, repeat)
            deep, page, how = deep_params(client, path, params, headers, accepted[path])
            deep_timing = None if deep is None else timed(client, path, deep, headers, repeat)
            shown = " ".join(f"{k}={v}" for k, v in filters.items()) or "(none)"
            figure = Figure(path.removeprefix("/api/v1/"), shown, first, deep_timing, page, how)
            print(line(figure, ceiling), flush=True)
            figures.append(figure)
    return ceiling, figures


def line(figure: Figure, ceiling: Timing) -> str:
    deep = f"{'-':>7} ms (cpu {'-':>5})" if figure.deep is None else str(figure.deep)
    verdict = "ok" if figure.worst_ms < TARGET_MS else "OVER"
    return (
        f"  {figure.list_name:13} {figure.filters[:48]:48} first {figure.first}"
        f"  page {figure.deep_page:3} {deep} ({figure.how})"
        f"  target {TARGET_MS:.0f}  ceiling {ceiling}  {verdict}"
    )


# --- the history ---------------------------------------------------------------------

END = datetime(2026, 12, 1, tzinfo=UTC)
START = END - timedelta(days=365)
SERVICES = 40
#: Alerts per group, alert groups per escalation (every other group paged), users.
GROUP_SIZE, USERS = 4, 50


def _at(n: int, total: int) -> datetime:
    return START + timedelta(days=365) * (n / max(total, 1))


def _alerts(total: int) -> Iterator[dict[str, Any]]:
    """99.5% resolved; the open ones half triggered, half acknowledged."""
    for n in range(total):
        at = _at(n, total)
        open_ = n % 200 == 0
        group = n // GROUP_SIZE
        yield {
            "service": f"service-{group % SERVICES}",
            "dedup_key": f"history-{n}",
            "status": ("triggered" if n % 400 == 0 else "acknowledged") if open_ else "resolved",
            "severity": ("critical", "error", "warning", "info")[n % 4],
            "summary": f"Historic alert {n}",
            "integration": "history",
            "source_type": "alertmanager",
            "source": f"host-{n % 500}",
            "labels": {"alertname": f"Rule{n % 300}", "instance": f"host-{n % 500}"},
            "annotations": {"description": "Disk usage above 90% on /var"},
            "details": {},
            "links": [],
            "occurrences": 1 + n % 5,
            "flapping": False,
            "urgency": "high",
            "group_id": group + 1,
            "triggered_at": at,
            "last_event_at": at,
            "resolved_at": None if open_ else at + timedelta(minutes=30),
        }


def _groups(total: int, alerts: int) -> Iterator[dict[str, Any]]:
    """A group holds the alerts ``GROUP_SIZE * n`` onwards; open if its first alert is."""
    for n in range(total):
        at = _at(n * GROUP_SIZE, alerts)
        open_ = (n * GROUP_SIZE) % 200 == 0
        yield {
            "id": n + 1,
            "service": f"service-{n % SERVICES}",
            "group_key": f"g{n}",
            "status": "open" if open_ else "resolved",
            "title": f"Rule{n % 300} on host-{n % 500}",
            "rule": f"Rule{n % 300}",
            "labels": {"alertname": f"Rule{n % 300}"},
            "urgency": "high",
            "alert_count": GROUP_SIZE,
            "paging": n % 2 == 0,
            "opened_at": at,
            "last_alert_at": at,
            "resolved_at": None if open_ else at + timedelta(minutes=30),
            "outcome": None if open_ else ("noise", "acknowledged", "incident")[n % 3],
            "updated_at": at,
        }


def _incidents(total: int) -> Iterator[dict[str, Any]]:
    """Mostly closed; 0.5% still open, 2% drills."""
    for n in range(total):
        at = _at(n, total)
        status = ("triage", "responding", "mitigated")[n % 3] if n % 200 == 0 else "closed"
        yield {
            "id": n + 1,
            "title": f"Incident {n}",
            "summary": "Checkout errors after a deploy",
            "status": status,
            "severity": f"SEV-{1 + n % 4}",
            "drill": n % 50 == 0,
            "source": "alert",
            "created_by": f"user-{n % USERS}",
            "detected_at": at,
            "declared_at": at,
            "links": [],
            "custom_fields": {},
            "created_at": at,
            "updated_at": at,
        }


def _runs(total: int, alerts: int) -> Iterator[dict[str, Any]]:
    for n in range(total):
        at = _at(n * 2 * GROUP_SIZE, alerts)
        active = (n * 2 * GROUP_SIZE) % 200 == 0
        yield {
            "id": n + 1,
            "subject_type": "alert_group",
            "subject_key": str(2 * n + 1),
            "title": f"Rule{n % 300}",
            "service": f"service-{(2 * n) % SERVICES}",
            "policy_name": "default",
            "policy": {},
            "urgency": "high",
            "state": "active" if active else ("acknowledged", "resolved")[n % 2],
            "started_at": at,
            "updated_at": at,
        }


def _pages(runs: int, alerts: int) -> Iterator[dict[str, Any]]:
    """One page per escalation, a second one for every third (the next step)."""
    for n in range(runs):
        at = _at(n * 2 * GROUP_SIZE, alerts)
        for step in range(1 + (n % 3 == 0)):
            yield {
                "run_id": n + 1,
                "user_name": f"user-{(n + step) % USERS}",
                "step_index": step,
                "title": f"Rule{n % 300}",
                "urgency": "high",
                "state": "dead" if n % 500 == 0 else "closed",
                "created_at": at,
            }


def _audit(total: int) -> Iterator[dict[str, Any]]:
    kinds = ("service", "user", "schedule", "escalation_policy", "token")
    for n in range(total):
        yield {
            "at": _at(n, total),
            "actor": f"user-{n % USERS}",
            "action": "update",
            "object_type": kinds[n % len(kinds)],
            "object_key": f"object-{n % 1000}",
            "detail": {},
        }


def _jobs(total: int) -> Iterator[dict[str, Any]]:
    kinds = ("alert_group.opened", "page.deliver", "escalation.step", "outbox.send")
    for n in range(total):
        at = _at(n, total)
        yield {
            "kind": kinds[n % len(kinds)],
            "payload": {"id": n},
            "run_at": at,
            "attempts": 1,
            "state": "dead" if n % 1000 == 0 else "done",
            "created_at": at,
            "updated_at": at,
            "finished_at": at,
        }


def seed(tocsin: Tocsin, *, alerts: int, incidents: int) -> dict[str, int]:
    """A year of history: the counts of what was inserted, by table."""
    groups = -(-alerts // GROUP_SIZE)
    runs = groups // 2
    counts = {
        "alert_groups": insert_rows(tocsin, AlertGroup, _groups(groups, alerts)),
        "alerts": insert_rows(tocsin, Alert, _alerts(alerts)),
        "incidents": insert_rows(tocsin, Incident, _incidents(incidents)),
        "incident_services": insert_rows(
            tocsin,
            IncidentService,
            ({"incident_id": n + 1, "name": f"service-{n % SERVICES}"} for n in range(incidents)),
        ),
        "incident_tags": insert_rows(
            tocsin,
            IncidentTag,
            ({"incident_id": n + 1, "name": f"tag-{n % 20}"} for n in range(incidents)),
        ),
        "escalation_runs": insert_rows(tocsin, EscalationRun, _runs(runs, alerts)),
        "pages": insert_rows(tocsin, Page, _pages(runs, alerts)),
        "audit_log": insert_rows(tocsin, AuditEntry, _audit(alerts // 10)),
        "jobs": insert_rows(tocsin, Job, _jobs(alerts // 4)),
    }
    settle(tocsin, ("alert_groups", "incidents", "escalation_runs"))
    return counts


def run_backend(backend: str, args: argparse.Namespace) -> None:
    key = f"{args.alerts}-{args.incidents}-{schema_key()}"

    def seeded(tocsin: Tocsin) -> dict[str, int]:
        return seed(tocsin, alerts=args.alerts, incidents=args.incidents)

    with served(backend, args, key, seeded, "admin") as app:
        print(
            f"{backend}: wall p95 and median CPU of {args.repeat} requests, limit {LIMIT}",
            flush=True,
        )
        ceiling, figures = measure(app.client, app.headers, args.repeat)
    worst = max(f.worst_ms for f in figures)
    over = sum(f.worst_ms >= TARGET_MS for f in figures)
    print(
        f"{backend}: ceiling (GET /api/v1/alerts/1) {ceiling}; worst list "
        f"p95 {worst:.1f} ms; {over} of {len(figures)} filters over {TARGET_MS:.0f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data", default="/tmp/tocsin-bench-lists", help="SQLite cache folder")
    parser.add_argument(
        "--postgres", default=os.environ.get("TOCSIN_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    print(f"lists with {args.alerts:,} alerts and {args.incidents:,} incidents", flush=True)
    for backend in args.backends.split(","):
        run_backend(backend.strip(), args)
    print("done", flush=True)


if __name__ == "__main__":
    main()
