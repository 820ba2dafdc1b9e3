"""What the issue tracker tests share: an API, a postmortem, its action items, its jobs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.support import configure
from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    MONDAY,
    PEOPLE,
    caller_for,
    commanded_draft,
    ok,
    serving,
)
from tocsin.app.service import Tocsin
from tocsin.engine.tables import Job
from tocsin.kernel.clock import FakeClock


def configure_trackers(tocsin: Tocsin, directory: Path, trackers: str) -> None:
    """Apply the tests' people and, in a file of their own, ``trackers``."""
    configure(tocsin, directory, {"org.yaml": PEOPLE, "trackers.yaml": trackers})


@dataclass(frozen=True)
class TrackerSetup:
    """A tracker test module's ``trackers.yaml`` and the environment variables it names."""

    yaml: str
    environment: dict[str, str]


@pytest.fixture
def api(
    tocsin: Tocsin,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tracker_setup: TrackerSetup,
) -> Iterator[TestClient]:
    """An API over ``tocsin`` configured with the people of the tests and the module's
    ``tracker_setup`` (a fixture), messages recorded in the outbox."""
    for name, value in tracker_setup.environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    clock.set(MONDAY)
    configure_trackers(tocsin, tmp_path / "config", tracker_setup.yaml)
    with serving(tocsin) as c:
        yield c


@pytest.fixture
def pm(tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller) -> str:
    """A SEV-2's draft postmortem's reference, owned by its Incident Commander (``responder``)."""
    found: str = commanded_draft(tocsin, api, admin, responder)["reference"]
    return found


def add_item(api: TestClient, caller: Caller, pm: str, **fields: Any) -> dict[str, Any]:
    body = {"description": "Add the missing index", "priority": "P1", "type": "prevent", **fields}
    item: dict[str, Any] = ok(
        api.post(f"{API}/{pm}/action-items", json=body, headers=caller.headers), 201
    )
    return item


def pushed(
    tocsin: Tocsin, api: TestClient, caller: Caller, pm: str, **fields: Any
) -> dict[str, Any]:
    """An item added to ``pm`` (see :func:`add_item`), with the jobs that push it run."""
    item = add_item(api, caller, pm, **fields)
    tocsin.engine.run_until_idle()
    return item


def two_pushed(
    tocsin: Tocsin, api: TestClient, caller: Caller, pm: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two items added to ``pm`` (the second a process item), with the jobs that push them run."""
    first = add_item(api, caller, pm)
    second = pushed(tocsin, api, caller, pm, description="Write the runbook", type="process")
    return first, second


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


def link_of(api: TestClient, caller: Caller, pm: str, item: int) -> dict[str, Any]:
    """Item ``item``'s link to its (first) tracker."""
    link: dict[str, Any] = item_of(api, caller, pm, item)["trackers"][0]
    return link


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


def attempts(tocsin: Tocsin, kind: str) -> list[tuple[str, int]]:
    """(state, attempts) of each job of ``kind``, oldest first."""
    return [(state, tries) for state, tries, _ in jobs_of(tocsin, kind)]
