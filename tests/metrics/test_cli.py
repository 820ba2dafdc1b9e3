"""``tocsin metrics ...`` against a Tocsin served in-process: tables, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import uvicorn
from typer.testing import CliRunner, Result

from tests.conftest import Caller
from tests.metrics.support import (
    MONDAY,
    add_incident,
    add_item,
    add_page,
    add_postmortem,
    at,
    define,
    resolved,
)
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.cli import common


@dataclass(frozen=True)
class Served:
    url: str
    runner: CliRunner

    def run(self, caller: Caller, *args: str) -> Result:
        env = {"TOCSIN_URL": self.url, "TOCSIN_TOKEN": caller.token}
        return self.runner.invoke(app, ["metrics", *args], env=env)

    def ok(self, caller: Caller, *args: str) -> str:
        result = self.run(caller, *args)
        assert result.exit_code == 0, f"tocsin metrics {' '.join(args)}: {result.output}"
        return result.stdout


@pytest.fixture
def served(tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    minute = timedelta(minutes=1)
    with tocsin.database.transaction() as session:
        define(session, {"shop": ["checkout"]})
        first = add_incident(
            session,
            resolved(at(0), impact=4 * minute, ack=2 * minute, resolve=90 * minute),
            severity="SEV-1",
            services=["checkout"],
        )
        second = add_incident(session, resolved(at(60), ack=4 * minute), severity="SEV-2")
        add_page(session, "ana", at(0), incident=first)
        add_postmortem(session, first, at(2880), published=at(2000))
        add_postmortem(session, second, at(2880), published=at(3000), required=False)
        add_item(session, at(3000), status="done", team="shop", done=at(3000 + 3 * 1440))
        add_item(session, at(3000), status="wont_do", team="shop", done=at(3100))
        add_item(session, at(3000), due=date(2025, 12, 1), incident=second)
    monkeypatch.setattr(common.console, "width", 200)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    server = uvicorn.Server(
        uvicorn.Config(create_app(tocsin, start_engine=False), log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{listener.getsockname()[1]}", CliRunner())
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


def rows(output: str) -> list[list[str]]:
    """The cells of a rich table's body rows."""
    found = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells:
            found.append(cells)
    return found


def test_response_times_as_a_table_csv_and_json(served: Served, viewer: Caller) -> None:
    table = served.ok(viewer, "response")
    assert rows(table) == [
        ["MTTD", "1", "4 min", "4 min", "4 min"],
        ["MTTA", "2", "3 min", "3 min", "4 min"],
        ["MTTR", "1", "1 h 30 min", "1 h 30 min", "1 h 30 min"],
    ]
    assert "2 incidents match (drills excluded)" in table
    listed = list(csv.reader(io.StringIO(served.ok(viewer, "response", "--format", "csv"))))
    assert listed == [
        ["metric", "count", "mean_seconds", "median_seconds", "p90_seconds"],
        ["MTTD", "1", "240.0", "240.0", "240.0"],
        ["MTTA", "2", "180.0", "180.0", "240.0"],
        ["MTTR", "1", "5400.0", "5400.0", "5400.0"],
    ]
    severe = json.loads(served.ok(viewer, "response", "-S", "SEV-2", "-f", "json"))
    assert (severe["incidents"], severe["mttd"]["mean_seconds"]) == (1, None)
    assert rows(served.ok(viewer, "response", "--severity", "SEV-2"))[0] == [
        "MTTD",
        "0",
        "n/a",
        "n/a",
        "n/a",
    ]


def test_frequency_oncall_and_alerts(served: Served, viewer: Caller) -> None:
    period = ("--from", MONDAY.isoformat(), "--to", (MONDAY + timedelta(weeks=2)).isoformat())
    assert rows(served.ok(viewer, "frequency", *period)) == [
        ["2026-W23", "2026-06-01", "2", "1", "1"],
        ["2026-W24", "2026-06-08", "0", "0", "0"],
    ]
    by_service = served.ok(viewer, "frequency", *period, "--by-service", "--format", "csv")
    assert by_service.splitlines()[:2] == [
        "week,monday,incidents,checkout",
        "2026-W23,2026-06-01,2,1",
    ]
    assert rows(served.ok(viewer, "oncall", "--team", "shop")) == [["ana", "UTC", "1", "1"]]
    assert "service,rule,groups" in served.ok(viewer, "accuracy", "--format", "csv")
    assert served.ok(viewer, "flapping", "--format", "csv") == (
        "service,alerts,flapping,auto_resolved,resolved_by_tocsin\n"
    )


def test_refusals_name_the_option(served: Served, viewer: Caller) -> None:
    result = served.run(viewer, "response", "--team", "nobody")
    assert result.exit_code == 1
    assert "team: no team named 'nobody'; teams: shop" in " ".join(result.stderr.split())
    result = served.run(viewer, "oncall", "--from", "yesterday")
    assert result.exit_code == 1
    assert "--from: expected an ISO 8601 time" in result.stderr


def test_postmortems_and_action_items(served: Served, viewer: Caller) -> None:
    table = served.ok(viewer, "postmortems")
    assert rows(table) == [
        ["all", "2", "1", "1", "0", "0", "50%"],
        ["required", "1", "1", "0", "0", "0", "100%"],
        ["optional", "1", "0", "1", "0", "0", "0%"],
    ]
    assert "On-time rate: 50%." in table
    teams = served.ok(viewer, "postmortems", "--by", "team", "--format", "csv")
    assert teams.splitlines() == [
        "team,due,on_time,late,overdue,not_yet_due,on_time_rate",
        "shop,1,1,0,0,0,1.0",
        "no team,1,0,1,0,0,0.0",
    ]
    weekly = served.ok(viewer, "postmortems", "--by", "week", "-f", "csv", "--team", "shop")
    assert weekly.splitlines()[1] == "2026-W23,2026-06-01,1,1,0,0,0,1.0"
    assert rows(served.ok(viewer, "action-items")) == [
        ["shop", "2", "1", "1", "0", "0", "100%", "3.0"],
        ["no team", "1", "0", "0", "1", "1", "0%", "n/a"],
        ["all", "3", "1", "1", "1", "1", "50%", "3.0"],
    ]
    listed = served.ok(viewer, "action-items", "--format", "csv", "--severity", "SEV-2")
    assert listed.splitlines() == [
        "team,created,done,wont_do,open,overdue,completion_rate,median_days_to_done",
        "no team,1,0,0,1,1,0.0,",
        "all,1,0,0,1,1,0.0,",
    ]
    found = json.loads(served.ok(viewer, "action-items", "--team", "shop", "-f", "json"))
    assert (found["total"]["created"], found["total"]["completion_rate"]) == (2, 1.0)
    refused = served.run(viewer, "action-items", "--by", "person")
    assert refused.exit_code == 2
    assert "expected one of team, week" in " ".join(refused.stderr.split())
    refused = served.run(viewer, "postmortems", "--zone", "Mars/Olympus")
    assert refused.exit_code == 1
    assert "zone: unknown time zone 'Mars/Olympus'" in " ".join(refused.stderr.split())
