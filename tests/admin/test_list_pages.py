"""The audit and job lists page by cursor: arrays, the next page in Link and X-Next-Cursor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.admin.test_accounts_and_jobs import invoke
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.db import keyset
from tocsin.db.audit import record
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings


@dataclass(frozen=True)
class Nothing:
    pass


#: Kinds no handler is registered for; the engine does not run in these tests.
FIRST, SECOND = JobKind("test.first", Nothing), JobKind("test.second", Nothing)


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def walk(client: TestClient, caller: Caller, path: str, **params: Any) -> list[int]:
    """The ids of every page of a list, following its Link header from the first to the last."""
    ids: list[int] = []
    response = client.get(path, params=params, headers=caller.headers)
    while True:
        assert response.status_code == 200, response.text
        ids.extend(item["id"] for item in response.json())
        link = response.headers.get("Link")
        if link is None:
            assert "X-Next-Cursor" not in response.headers
            return ids
        target, relation = link.split("; ")
        assert relation == 'rel="next"'
        assert f"cursor={response.headers['X-Next-Cursor']}" in target
        response = client.get(target.strip("<>"), headers=caller.headers)


def _audit(tocsin: Tocsin, clock: FakeClock, entries: list[tuple[str, str]]) -> None:
    with tocsin.database.transaction() as session:
        for actor, object_type in entries:
            record(session, at=clock.now(), actor=actor, action="x", object_type=object_type)


def test_the_audit_log_walks_every_entry_once_with_its_filters(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, admin: Caller
) -> None:
    _audit(tocsin, clock, [("alice", "user"), ("bob", "team"), ("alice", "team")] * 4)
    everything = client.get("/api/v1/audit", params={"limit": 1000}, headers=admin.headers)
    assert "Link" not in everything.headers
    all_ids = [entry["id"] for entry in everything.json()]

    assert walk(client, admin, "/api/v1/audit", limit=5) == all_ids
    alice = walk(client, admin, "/api/v1/audit", limit=3, actor="alice")
    assert len(alice) == 8 and alice == sorted(alice, reverse=True)
    teams = walk(client, admin, "/api/v1/audit", limit=3, actor="alice", object_type="team")
    assert len(teams) == 4 and set(teams) < set(alice)
    skipped = client.get("/api/v1/audit", params={"limit": 2, "offset": 3}, headers=admin.headers)
    assert [entry["id"] for entry in skipped.json()] == all_ids[3:5]


def _jobs(tocsin: Tocsin, clock: FakeClock) -> None:
    with tocsin.database.transaction() as session:
        for number in range(9):
            jobs.enqueue(session, FIRST if number % 3 else SECOND, Nothing(), now=clock.now())
    with tocsin.database.transaction() as session:
        ids = session.scalars(select(Job.id).order_by(Job.id)).all()
        session.execute(update(Job).where(Job.id.in_(ids[::2])).values(state="dead"))


def test_the_job_list_walks_every_job_once_with_its_filters(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, viewer: Caller
) -> None:
    _jobs(tocsin, clock)
    with tocsin.database.sessions() as session:
        rows = session.scalars(select(Job).order_by(Job.id.desc())).all()

    assert walk(client, viewer, "/api/v1/jobs", limit=2) == [job.id for job in rows]
    dead = walk(client, viewer, "/api/v1/jobs", limit=2, state="dead", kind="test.first")
    assert dead == [job.id for job in rows if job.state == "dead" and job.kind == "test.first"]
    assert len(dead) == 3
    # offset is dropped from the next link: the cursor already stands after what it skipped.
    first = client.get("/api/v1/jobs", params={"limit": 2, "offset": 6}, headers=viewer.headers)
    assert "offset" not in first.headers["Link"]
    after = client.get(first.headers["Link"].split(";")[0].strip("<>"), headers=viewer.headers)
    assert [job["id"] for job in first.json() + after.json()] == [job.id for job in rows][6:]


@pytest.mark.parametrize("path", ["/api/v1/jobs", "/api/v1/audit"])
def test_a_cursor_tocsin_did_not_make_is_refused_naming_cursor(
    client: TestClient, admin: Caller, path: str
) -> None:
    for bad in ("nonsense", keyset.encode(["7"]), keyset.encode([1, 2]), keyset.encode([True])):
        response = client.get(path, params={"cursor": bad}, headers=admin.headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_the_jobs_command_prints_the_next_cursor(
    settings: Settings, tocsin: Tocsin, clock: FakeClock
) -> None:
    _jobs(tocsin, clock)
    code, out, _ = invoke(settings, "jobs", "list", "--state", "dead", "--limit", "3")
    assert code == 0 and out.count("dead") == 3
    cursor = out.rsplit("--cursor ", 1)[1].strip()
    code, out, _ = invoke(settings, "jobs", "list", "--state", "dead", "--cursor", cursor)
    assert code == 0 and out.count("dead") == 2 and "--cursor" not in out
    code, _, err = invoke(settings, "jobs", "list", "--cursor", "nonsense")
    assert code == 1 and "--cursor" in err
