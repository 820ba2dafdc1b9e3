"""``tocsin oncall ...`` against a Tocsin served in-process on the fake clock.

The server runs in a thread on a socket bound before it starts (connections
wait in the backlog until it accepts), so no test waits for it to come up, and
the test moves the server's clock and runs its jobs directly.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from typer.testing import CliRunner, Result

from tests.conftest import Caller
from tests.oncall.support import SEED_SCHEDULE, apply_seed, at, user
from tocsin.app.cli import app
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.cli import common
from tocsin.kernel.clock import FakeClock


@dataclass(frozen=True)
class Served:
    url: str
    runner: CliRunner

    def run(self, caller: Caller, *args: str) -> Result:
        return self.runner.invoke(
            app, args, env={"TOCSIN_URL": self.url, "TOCSIN_TOKEN": caller.token}
        )

    def ok(self, caller: Caller, *args: str) -> str:
        result = self.run(caller, *args)
        assert result.exit_code == 0, f"tocsin {' '.join(args)}: {result.output}"
        return result.stdout

    def refused(self, caller: Caller, *args: str) -> str:
        result = self.run(caller, *args)
        assert result.exit_code == 1, result.output
        return " ".join(result.stderr.split())


@pytest.fixture
def served(tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    apply_seed(tocsin)
    monkeypatch.setattr(common.console, "width", 200)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    config = uvicorn.Config(create_app(tocsin, start_engine=False), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{listener.getsockname()[1]}", CliRunner())
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


def rows(output: str) -> list[list[str]]:
    """The cells of a rich table's body rows (the header uses other rules)."""
    found = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells:
            found.append(cells)
    return found


def test_who_is_on_call_each_week_and_around_each_handoff(served: Served, viewer: Caller) -> None:
    weeks = [
        ("2026-01-05", "engineer-c", "engineer-a", "engineer-a", "engineer-b"),
        ("2026-01-12", "engineer-a", "engineer-b", "engineer-b", "engineer-c"),
        ("2026-01-19", "engineer-b", "engineer-c", "engineer-c", "engineer-a"),
    ]
    for day, before_primary, before_secondary, primary, secondary in weeks:
        before = served.ok(
            viewer, "oncall", "--schedule", SEED_SCHEDULE, "--at", f"{day}T09:59:59Z"
        )
        assert [row[1:3] + row[4:] for row in rows(before)] == [
            ["primary", before_primary, f"{day} 10:00 UTC"],
            ["secondary", before_secondary, f"{day} 10:00 UTC"],
        ]
        # A time without a zone is UTC.
        after = served.ok(viewer, "oncall", "-s", SEED_SCHEDULE, "--at", f"{day}T10:00")
        assert [row[:4] for row in rows(after)] == [
            [SEED_SCHEDULE, "primary", primary, f"{day} 10:00 UTC"],
            [SEED_SCHEDULE, "secondary", secondary, f"{day} 10:00 UTC"],
        ]
    now = served.ok(viewer, "oncall")
    assert [row[1:3] for row in rows(now)] == [
        ["primary", "engineer-c"],
        ["secondary", "engineer-a"],
    ]
    shifts = served.ok(
        viewer,
        "oncall",
        "shifts",
        SEED_SCHEDULE,
        "--from",
        "2026-01-12T00:00Z",
        "--to",
        "2026-01-13T00:00Z",
    )
    assert rows(shifts) == [
        ["primary", "engineer-a", "2026-01-12 00:00 UTC", "2026-01-12 10:00 UTC", ""],
        ["primary", "engineer-b", "2026-01-12 10:00 UTC", "2026-01-13 00:00 UTC", ""],
        ["secondary", "engineer-b", "2026-01-12 00:00 UTC", "2026-01-12 10:00 UTC", ""],
        ["secondary", "engineer-c", "2026-01-12 10:00 UTC", "2026-01-13 00:00 UTC", ""],
    ]
    assert served.refused(viewer, "oncall", "--at", "soon") == (
        "error: --at: expected an ISO 8601 time like 2026-01-12T10:00:00Z, got 'soon'"
    )
    assert served.refused(viewer, "oncall", "-s", "nope") == (
        "error: not found: no schedule named 'nope'; schedules: on-call-schedule"
    )


def test_overrides_and_swaps(served: Served, tocsin: Tocsin, admin: Caller) -> None:
    asker = user(tocsin, "engineer-b")
    helper = user(tocsin, "rex")
    window = ("--from", "2026-01-13T12:00Z", "--to", "2026-01-13T18:00Z")
    made = served.ok(
        helper,
        "oncall",
        "override",
        "add",
        SEED_SCHEDULE,
        "--layer",
        "primary",
        "--user",
        "rex",
        *window,
    )
    assert made.strip() == (
        "override 1: rex holds primary from 2026-01-13 12:00 UTC to 2026-01-13 18:00 UTC"
    )
    unfair = ("--layer", "primary", "--user", "engineer-a", *window)
    refused = served.refused(admin, "oncall", "override", "add", SEED_SCHEDULE, *unfair)
    assert refused.startswith(
        "error: refused: refused by the schedule's fairness policies: engineer-a would have "
        "only 1.1 days off primary"
    )
    forced = served.ok(admin, "oncall", "override", "add", SEED_SCHEDULE, *unfair, "--force")
    assert forced.strip().endswith("(forced past the fairness policies)")
    listed = served.ok(helper, "oncall", "override", "list", SEED_SCHEDULE)
    assert [row[:3] + row[5:6] for row in rows(listed)] == [
        ["1", "primary", "rex", "rex"],
        ["2", "primary", "engineer-a", "ada (forced)"],
    ]
    assert served.ok(admin, "oncall", "override", "remove", SEED_SCHEDULE, "2").strip() == (
        "override 2 removed"
    )

    asked = served.ok(
        asker,
        "oncall",
        "swap",
        "request",
        SEED_SCHEDULE,
        "--layer",
        "primary",
        "--with",
        "rex",
        "--from",
        "2026-01-14T08:00Z",
        "--to",
        "2026-01-14T20:00Z",
    )
    assert asked.strip() == (
        f"swap 1 (requested): rex covers engineer-b on {SEED_SCHEDULE}/primary "
        "from 2026-01-14 08:00 UTC to 2026-01-14 20:00 UTC"
    )
    assert "swap 1 (requested)" in served.ok(helper, "oncall", "swap", "list")
    assert served.refused(asker, "oncall", "swap", "accept", "1").startswith(
        "error: not allowed: only rex, who was asked, may accept"
    )
    assert served.ok(helper, "oncall", "swap", "accept", "1").startswith("swap 1 (accepted)")
    assert served.refused(helper, "oncall", "swap", "decline", "1") == (
        "error: refused: swap request 1 is already accepted"
    )
    at_noon = served.ok(helper, "oncall", "-s", SEED_SCHEDULE, "--at", "2026-01-14T12:00Z")
    assert rows(at_noon)[0][2] == "rex"


def test_handoff_report_note_load_report_and_feeds(
    served: Served, tocsin: Tocsin, clock: FakeClock, viewer: Caller
) -> None:
    outgoing = user(tocsin, "engineer-c")
    assert served.ok(viewer, "oncall", "handoff", SEED_SCHEDULE).strip() == (
        f"no handoff reports for {SEED_SCHEDULE} yet"
    )
    noted = served.ok(outgoing, "oncall", "handoff", SEED_SCHEDULE, "--note", "Watch the db-3 disk")
    assert noted.strip() == f"note 1 left for the next handoff on {SEED_SCHEDULE}"
    tocsin.engine.run_until_idle()
    clock.set(at("2026-01-05T10:00Z"))
    tocsin.engine.run_until_idle()
    shown = served.ok(viewer, "oncall", "handoff", SEED_SCHEDULE, "--layer", "primary")
    lines = [line.strip() for line in shown.splitlines()]
    assert lines[0] == (
        f"{SEED_SCHEDULE}/primary handoff at 2026-01-05 10:00 UTC: engineer-c -> engineer-a "
        "(shift from 2025-12-29 10:00 UTC)"
    )
    assert "engineer-c (2026-01-05 09:00 UTC): Watch the db-3 disk" in lines

    csv = served.ok(
        viewer,
        "oncall",
        "report",
        "--from",
        "2026-01-05T10:00Z",
        "--to",
        "2026-01-12T10:00Z",
        "--csv",
    )
    assert csv.splitlines()[1:] == [
        "engineer-a,UTC,168.0,128.0,0,0,0,168.0,0.0",
        "engineer-b,UTC,168.0,128.0,0,0,0,0.0,168.0",
    ]
    table = served.ok(
        viewer, "oncall", "report", "--from", "2026-01-05T10:00Z", "--to", "2026-01-06T10:00Z"
    )
    assert [row[:3] for row in rows(table)] == [
        ["engineer-a", "24", "16"],
        ["engineer-b", "24", "16"],
    ]

    created = served.ok(viewer, "oncall", "feed", "create", "--schedule", SEED_SCHEDULE)
    url = created.splitlines()[-1]
    assert url.startswith(f"{served.url}/ical/tcf_") and url.endswith(".ics")
    assert rows(served.ok(viewer, "oncall", "feed", "list"))[0][:3] == [
        "1",
        f"schedule {SEED_SCHEDULE}",
        url.split("/ical/")[1][:10],
    ]
    assert served.ok(viewer, "oncall", "feed", "revoke", "1").strip() == "feed 1 revoked"
    assert served.refused(viewer, "oncall", "feed", "create") == (
        "error: give either --schedule or --user"
    )
