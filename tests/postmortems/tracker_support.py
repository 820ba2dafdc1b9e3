"""What the issue tracker tests share: an API, a postmortem, its action items, its jobs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.support import configure
from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    PEOPLE,
    assign,
    caller_for,
    declare,
    move,
    ok,
    postmortem_of,
)
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def configure_trackers(tocsin: Tocsin, directory: Path, trackers: str) -> None:
    """Apply the tests' people and, in a file of their own, ``trackers``."""
    configure(tocsin, directory, {"org.yaml": PEOPLE, "trackers.yaml": trackers})


def client(
    tocsin: Tocsin, clock: FakeClock, directory: Path, trackers: str
) -> Iterator[TestClient]:
    """An API over ``tocsin`` configured with the people of the tests and ``trackers``."""
    clock.set(MONDAY)
    configure_trackers(tocsin, directory, trackers)
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def postmortem(tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller) -> str:
    """A SEV-2's draft postmortem, owned by its Incident Commander (``responder``)."""
    reference = declare(api, admin, "SEV-2")
    assign(api, admin, reference, "incident_commander", responder.name)
    move(api, responder, reference, "responding")
    move(api, responder, reference, "resolved")
    tocsin.engine.run_until_idle()
    found: str = postmortem_of(api, admin, reference)["reference"]
    return found


def add_item(api: TestClient, caller: Caller, pm: str, **fields: Any) -> dict[str, Any]:
    body = {"description": "Add the missing index", "priority": "P1", "type": "prevent", **fields}
    item: dict[str, Any] = ok(
        api.post(f"{API}/{pm}/action-items", json=body, headers=caller.headers), 201
    )
    return item


def change_item(
    api: TestClient, caller: Caller, pm: str, item: int, **fields: Any
) -> dict[str, Any]:
    changed: dict[str, Any] = ok(
        api.patch(f"{API}/{pm}/action-items/{item}", json=fields, headers=caller.headers)
    )
    return changed


def item_of(api: TestClient, caller: Caller, pm: str, item: int) -> dict[str, Any]:
    items = ok(api.get(f"{API}/{pm}/action-items", headers=caller.headers))
    found: dict[str, Any] = next(each for each in items if each["id"] == item)
    return found


def publish(tocsin: Tocsin, api: TestClient, responder: Caller, pm: str) -> None:
    """Submit ``pm`` for carol's review, approve it as carol, publish it."""
    ok(api.post(f"{API}/{pm}/submit", json={"reviewers": ["carol"]}, headers=responder.headers))
    carol = caller_for(tocsin, "carol")
    ok(api.post(f"{API}/{pm}/reviews", json={"verdict": "approve"}, headers=carol.headers))
    ok(api.post(f"{API}/{pm}/publish", json={}, headers=responder.headers))


def later(tocsin: Tocsin, clock: FakeClock, minutes: float) -> None:
    """Move the clock on and run every job due by then."""
    clock.advance(timedelta(minutes=minutes))
    tocsin.engine.run_until_idle()


def jobs_of(tocsin: Tocsin, kind: str) -> list[tuple[str, int, str | None]]:
    """(state, attempts, last error) of each job of ``kind``, oldest first."""
    with tocsin.database.sessions() as session:
        rows = session.execute(
            select(Job.state, Job.attempts, Job.last_error).where(Job.kind == kind).order_by(Job.id)
        ).all()
    return [(row[0], row[1], row[2]) for row in rows]
