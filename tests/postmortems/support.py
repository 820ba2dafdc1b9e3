"""What the postmortem tests share: a configuration, an API without engine threads, calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.support import configure
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.kernel.clock import FakeClock
from tocsin.notify.tables import OutboxMessage

API = "/api/v1/postmortems"
#: When most postmortem tests start: a Monday morning.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PEOPLE = """
users:
  carol:
    email: carol@example.com
    contact_methods:
      - {type: email, address: carol@example.com}
  dan:
    email: dan@example.com
teams:
  payments:
    members: [carol, dan]
    roles: {team_lead: dan}
services:
  checkout:
    team: payments
    components: [Checkout, Payments API]
status_page:
  components:
    - {name: Checkout}
    - {name: Payments API}
"""


def set_up(tocsin: Tocsin, directory: Path, extra: str = "") -> None:
    configure(tocsin, directory, {"org.yaml": PEOPLE + extra})


def outbox_set_up(tocsin: Tocsin, directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' configuration, every message recorded in the outbox instead of sent."""
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    set_up(tocsin, directory)


@contextmanager
def serving(tocsin: Tocsin) -> Iterator[TestClient]:
    """The API without its engine's threads: the test runs the jobs itself."""
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


@contextmanager
def outbox_api(
    tocsin: Tocsin,
    clock: FakeClock,
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    start: datetime = MONDAY,
) -> Iterator[TestClient]:
    """The API at ``start`` over the tests' configuration, messages recorded in the outbox."""
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    clock.set(start)
    set_up(tocsin, directory)
    with serving(tocsin) as c:
        yield c


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def declare(api: TestClient, caller: Caller, severity: str = "SEV-2", **fields: Any) -> str:
    body = {"title": "Payments failing", "severity": severity, "services": ["checkout"], **fields}
    reference: str = ok(api.post("/api/v1/incidents", json=body, headers=caller.headers), 201)[
        "reference"
    ]
    return reference


def move(api: TestClient, caller: Caller, reference: str, status: str, reason: str = "") -> None:
    body = {"status": status, **({"reason": reason} if reason else {})}
    ok(api.post(f"/api/v1/incidents/{reference}/status", json=body, headers=caller.headers))


def assign(api: TestClient, caller: Caller, reference: str, role: str, user: str) -> None:
    ok(
        api.post(
            f"/api/v1/incidents/{reference}/roles",
            json={"role": role, "user": user},
            headers=caller.headers,
        )
    )


def resolved_incident(
    api: TestClient, tocsin: Tocsin, caller: Caller, severity: str = "SEV-2"
) -> str:
    """An incident declared, taken on, mitigated and resolved, with its jobs run."""
    reference = declare(api, caller, severity)
    move(api, caller, reference, "responding")
    move(api, caller, reference, "mitigated")
    move(api, caller, reference, "resolved")
    tocsin.engine.run_until_idle()
    return reference


def commanded_draft(
    tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller
) -> dict[str, Any]:
    """A SEV-2's draft postmortem, owned by its Incident Commander (``responder``)."""
    reference = declare(api, admin, "SEV-2")
    assign(api, admin, reference, "incident_commander", responder.name)
    move(api, responder, reference, "responding")
    move(api, responder, reference, "resolved")
    tocsin.engine.run_until_idle()
    return postmortem_of(api, admin, reference)


def postmortem_of(api: TestClient, caller: Caller, reference: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(
        api.get(f"/api/v1/incidents/{reference}/postmortem", headers=caller.headers)
    )
    return found


def timeline_texts(api: TestClient, caller: Caller, reference: str) -> list[str]:
    entries = ok(api.get(f"/api/v1/incidents/{reference}/timeline", headers=caller.headers))
    return [entry["text"] for entry in entries]


def outbox(tocsin: Tocsin, word: str) -> list[OutboxMessage]:
    """Recorded messages whose subject holds ``word``, oldest first."""
    with tocsin.database.sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [row for row in rows if word in row.subject]


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def caller_for(tocsin: Tocsin, name: str) -> Caller:
    """An API token for ``name``, a user configuration defined."""
    with tocsin.database.transaction() as session:
        user = accounts.find_user(session, name)
        assert user is not None, f"no user {name}"
        _, plain = accounts.create_token(session, user, now=tocsin.clock.now(), actor="test")
    return Caller(name, plain)


#: What the internal version holds and the public one must not.
INTERNAL_MARKERS = ("POORLY-MARKER", "LUCKY-MARKER", "FACTOR-MARKER", "$REVENUE-MARKER")


def public_ready(
    api: TestClient,
    tocsin: Tocsin,
    admin: Caller,
    ic: Caller,
    written: dict[str, Any] | None = None,
) -> dict[str, str]:
    """A SEV-2 told on the status page and resolved there, its postmortem written and published.

    ``ic`` (a responder) is the Incident Commander and carol its reviewer and an action
    item's owner. Returns the postmortem's reference, the incident's and the public code.
    """
    reference = declare(api, admin, "SEV-2")
    assign(api, admin, reference, "incident_commander", ic.name)
    public = ok(
        api.post(
            f"/api/v1/incidents/{reference}/publish",
            json={
                "name": "Checkout errors",
                "body": "We are investigating failed payments.",
                "components": {"Checkout": "major_outage"},
            },
            headers=ic.headers,
        ),
        201,
    )
    move(api, ic, reference, "responding")
    move(api, ic, reference, "mitigated")
    ok(
        api.post(
            f"/api/v1/status-page/incidents/{public['id']}/updates",
            json={"status": "resolved", "body": "Payments work again.", "components": {}},
            headers=ic.headers,
        ),
        201,
    )
    move(api, ic, reference, "resolved")
    tocsin.engine.run_until_idle()
    pm = postmortem_of(api, admin, reference)["reference"]
    edit = {
        "summary": "Checkout failed after a slow query exhausted the connection pool.",
        "impact": {"users_affected": 1200, "revenue_impact": "$REVENUE-MARKER"},
        "root_cause": "A missing index on the payments table.",
        "five_whys": [
            {"why": "Why did checkout fail?", "answer": "The pool was exhausted.", "cites": [1]}
        ],
        "contributing_factors": ["FACTOR-MARKER: no load test before the migration"],
        "what_went_poorly": ["POORLY-MARKER: the alert fired late"],
        "where_we_got_lucky": ["LUCKY-MARKER: it happened off-peak"],
    }
    ok(api.patch(f"{API}/{pm}", json={**edit, **(written or {})}, headers=ic.headers))
    item = {
        "description": "Add query performance tests to CI",
        "owner": "carol",
        "priority": "P1",
        "type": "prevent",
        "due_date": "2026-03-20",
    }
    ok(api.post(f"{API}/{pm}/action-items", json=item, headers=ic.headers), 201)
    ok(api.post(f"{API}/{pm}/submit", json={"reviewers": ["carol"]}, headers=ic.headers))
    carol = caller_for(tocsin, "carol")
    ok(api.post(f"{API}/{pm}/reviews", json={"verdict": "approve"}, headers=carol.headers))
    ok(api.post(f"{API}/{pm}/publish", json={}, headers=ic.headers))
    return {"postmortem": pm, "incident": reference, "public": public["id"]}
