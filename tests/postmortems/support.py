"""What the postmortem tests share: a configuration, an API without engine threads, calls."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.support import configure
from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.auth import accounts
from tocsin.notify.tables import OutboxMessage

API = "/api/v1/postmortems"
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
