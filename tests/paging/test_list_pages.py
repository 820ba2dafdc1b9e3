"""The page and escalation lists page by cursor and read a page in a fixed number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from tests.admin.test_list_pages import walk
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.db import keyset
from tocsin.kernel.clock import FakeClock
from tocsin.paging.tables import DeliveryAttempt, EscalationRun, Notification, Page

RUN_STATES = ["active", "acknowledged", "resolved"]
PAGE_STATES = ["open", "acknowledged", "closed", "dead"]


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def _runs_and_pages(tocsin: Tocsin, clock: FakeClock, runs: int) -> None:
    """``runs`` escalations of rotating states, each with two pages and their deliveries."""
    now = clock.now()
    with tocsin.database.transaction() as session:
        for number in range(runs):
            run = EscalationRun(
                subject_type="manual",
                subject_key=f"test:{uuid.uuid4().hex}",
                title=f"Disk full {number}",
                policy_name="p",
                policy={},
                urgency="high",
                state=RUN_STATES[number % 3],
                started_at=now,
                updated_at=now,
            )
            session.add(run)
            session.flush()
            for user in ("amy", "ben"):
                page = Page(
                    run_id=run.id,
                    user_name=user,
                    step_index=0,
                    title=run.title,
                    urgency="high",
                    state=PAGE_STATES[(number + len(user) + (user == "ben")) % 4],
                    created_at=now,
                )
                session.add(page)
                session.flush()
                _deliveries(session, page, now)


def _deliveries(session: Any, page: Page, now: Any) -> None:
    notification = Notification(
        page_id=page.id,
        user_name=page.user_name,
        method_index=0,
        method_type="email",
        due_at=now,
        state="sent",
        sent_at=now,
    )
    session.add(notification)
    session.flush()
    session.add(
        DeliveryAttempt(
            notification_id=notification.id, page_id=page.id, at=now, provider="smtp", status="sent"
        )
    )


def _ids(tocsin: Tocsin, table: Any, *conditions: Any) -> list[int]:
    with tocsin.database.sessions() as session:
        return list(session.scalars(select(table.id).where(*conditions).order_by(table.id.desc())))


def test_pages_walk_once_in_order_with_each_filter(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, viewer: Caller
) -> None:
    _runs_and_pages(tocsin, clock, 7)

    assert walk(client, viewer, "/api/v1/pages", limit=3) == _ids(tocsin, Page)
    for state in PAGE_STATES:
        wanted = _ids(tocsin, Page, Page.state == state)
        assert walk(client, viewer, "/api/v1/pages", limit=2, state=state) == wanted
    amy = _ids(tocsin, Page, Page.user_name == "amy")
    assert walk(client, viewer, "/api/v1/pages", limit=2, user="amy") == amy
    open_amy = _ids(tocsin, Page, Page.user_name == "amy", Page.state == "open")
    assert open_amy
    assert walk(client, viewer, "/api/v1/pages", limit=1, user="amy", state="open") == open_amy
    (first,) = client.get("/api/v1/pages", params={"limit": 1}, headers=viewer.headers).json()
    assert first["notifications"][0]["attempts"][0]["provider"] == "smtp"


def test_escalations_walk_once_in_order_with_the_state_filter(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, viewer: Caller
) -> None:
    _runs_and_pages(tocsin, clock, 7)

    assert walk(client, viewer, "/api/v1/escalations", limit=2) == _ids(tocsin, EscalationRun)
    for state in RUN_STATES:
        wanted = _ids(tocsin, EscalationRun, EscalationRun.state == state)
        assert walk(client, viewer, "/api/v1/escalations", limit=2, state=state) == wanted


@pytest.mark.parametrize("path", ["/api/v1/pages", "/api/v1/escalations"])
def test_a_cursor_tocsin_did_not_make_is_refused_naming_cursor(
    client: TestClient, viewer: Caller, path: str
) -> None:
    for bad in ("nonsense", keyset.encode(["7"]), keyset.encode([1, 2]), "A" * 513):
        response = client.get(path, params={"cursor": bad}, headers=viewer.headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_a_page_of_pages_takes_the_same_queries_for_4_or_40_pages(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, viewer: Caller
) -> None:
    def queries() -> tuple[int, int]:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(tocsin.database.engine, "before_cursor_execute", count)
        try:
            response = client.get("/api/v1/pages", headers=viewer.headers)
        finally:
            event.remove(tocsin.database.engine, "before_cursor_execute", count)
        return len(statements), len(response.json())

    _runs_and_pages(tocsin, clock, 2)
    queries()  # the caller's first request also records when its token was used
    few = queries()
    _runs_and_pages(tocsin, clock, 18)
    many = queries()

    assert (few[1], many[1]) == (4, 40)
    assert few[0] == many[0]
