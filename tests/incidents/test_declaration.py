"""SEV1 and SEV2 always go through formal declaration: a durable job that runs the hooks."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Caller
from tests.incidents.support import API, client_without_engine, declare, timeline
from tocsin.app.service import Tocsin
from tocsin.engine import jobs
from tocsin.engine.tables import Job
from tocsin.incidents import declaration
from tocsin.kernel.clock import FakeClock


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def formal_declaration(tocsin: Tocsin) -> declaration.FormalDeclaration:
    """The running Tocsin's declaration handler, which holds the hooks."""
    handler = tocsin.registry.handler(declaration.INCIDENT_DECLARED.name)
    assert handler is not None
    formal = inspect.unwrap(handler)
    assert isinstance(formal, declaration.FormalDeclaration)
    return formal


@pytest.fixture
def seen(tocsin: Tocsin) -> Iterator[list[tuple[str, str, bool]]]:
    """Declarations the test hooks saw: (reference, level, drill)."""
    calls: list[tuple[str, str, bool]] = []

    def war_room(_: Session, declared: declaration.Declaration) -> None:
        calls.append((declared.reference, declared.level.level, declared.drill))

    formal = formal_declaration(tocsin)
    formal.add_hook(declaration.Hook("war room", war_room))
    yield calls
    formal.remove_hook("war room")


def declaration_jobs(tocsin: Tocsin) -> list[Job]:
    with tocsin.database.sessions() as session:
        return list(
            session.scalars(select(Job).where(Job.kind == declaration.INCIDENT_DECLARED.name))
        )


def formal_entries(client: TestClient, caller: Caller, reference: str) -> list[dict[str, Any]]:
    return [
        entry
        for entry in timeline(client, caller, reference)
        if entry["details"].get("formal") == "true"
    ]


@pytest.mark.parametrize(
    ("level", "formal"), [("SEV-1", True), ("SEV-2", True), ("SEV-3", False), ("SEV-4", False)]
)
def test_the_two_most_severe_levels_queue_formal_declaration(
    client: TestClient, tocsin: Tocsin, responder: Caller, level: str, formal: bool
) -> None:
    declare(client, responder, severity=level)
    queued = declaration_jobs(tocsin)
    assert len(queued) == (1 if formal else 0)


def test_the_job_runs_the_hooks_and_says_so_on_the_timeline(
    client: TestClient,
    tocsin: Tocsin,
    clock: FakeClock,
    responder: Caller,
    seen: list[tuple[str, str, bool]],
) -> None:
    reference = declare(client, responder, severity="SEV-1", drill=True)["reference"]
    assert seen == []  # nothing runs inside the request
    clock.advance(seconds=2)
    # Formal declaration, telling SEV-1's stakeholders (every level does that), and
    # incident.changed (the status page follows declarations).
    assert tocsin.engine.run_until_idle() == 3
    assert seen == [(reference, "SEV-1", True)]
    (entry,) = formal_entries(client, responder, reference)
    assert entry["text"].startswith("Formal declaration ran for SEV-1 (Critical); hooks: ")
    assert entry["details"]["hooks"].split(", ")[-1] == "war room"  # after the built-in ones
    assert entry["author"] == declaration.SYSTEM_AUTHOR
    (job,) = declaration_jobs(tocsin)
    assert job.state == jobs.DONE


def test_raising_into_sev1_or_sev2_declares_once_per_level(
    client: TestClient, tocsin: Tocsin, responder: Caller, seen: list[tuple[str, str, bool]]
) -> None:
    reference = declare(client, responder, severity="SEV-3")["reference"]
    path = f"{API}/{reference}/severity"
    for level in ("SEV-2", "SEV-3", "SEV-2", "SEV-1", "SEV-2"):
        response = client.post(
            path, json={"severity": level, "reason": "reassessed"}, headers=responder.headers
        )
        assert response.status_code == 200
    tocsin.engine.run_until_idle()
    assert seen == [(reference, "SEV-2", False), (reference, "SEV-1", False)]
    assert len(declaration_jobs(tocsin)) == 2
    assert len(formal_entries(client, responder, reference)) == 2


def test_a_failing_hook_retries_and_records_nothing_until_it_succeeds(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, responder: Caller
) -> None:
    attempts: list[int] = []

    def flaky(_: Session, __: declaration.Declaration) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("chat service unavailable")

    formal = formal_declaration(tocsin)
    formal.add_hook(declaration.Hook("flaky", flaky))
    try:
        reference = declare(client, responder, severity="SEV-2")["reference"]
        tocsin.engine.run_until_idle()
        (job,) = declaration_jobs(tocsin)
        assert (job.state, job.attempts) == (jobs.PENDING, 1)
        assert "chat service unavailable" in (job.last_error or "")
        assert formal_entries(client, responder, reference) == []
        clock.advance(hours=1)
        tocsin.engine.run_until_idle()
        (job,) = declaration_jobs(tocsin)
        assert job.state == jobs.DONE
        assert len(formal_entries(client, responder, reference)) == 1
    finally:
        formal.remove_hook("flaky")


def test_hook_names_are_unique() -> None:
    formal = declaration.FormalDeclaration([declaration.Hook("pager", lambda _s, _d: None)])
    with pytest.raises(ValueError, match="already registered"):
        formal.add_hook(declaration.Hook("pager", lambda _session, _declared: None))


def test_the_handler_is_built_in(tocsin: Tocsin) -> None:
    assert declaration.INCIDENT_DECLARED.name in tocsin.registry.kinds()
