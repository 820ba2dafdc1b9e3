"""What the communications tests share: people, an API on the outbox, the clock, API calls.

Deliveries are checked in outbox mode (``TOCSIN_DELIVERY=outbox``): every
message is recorded in the outbox table instead of being sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tests.statuspage.support import declare, ok, set_up
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock
from tocsin.notify.tables import OutboxMessage

TEN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
PEOPLE = """
users:
  carol:
    email: carol@example.com
    contact_methods:
      - {type: email, address: carol@example.com}
  ivan:
    email: ivan@example.com
  victor:
    email: victor@example.com
paging:
  stakeholders:
    vp_of_engineering: [victor]
    engineering_manager: [ivan]
"""


@contextmanager
def outbox_api(
    tocsin: Tocsin,
    clock: FakeClock,
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: str = "",
    start: datetime = TEN,
) -> Iterator[TestClient]:
    """The API without a running engine (tests run due jobs), on the outbox, at ``start``.

    ``settings`` is more of ``status_page:`` (indented by two spaces).
    """
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    clock.set(start)
    set_up(tocsin, directory, settings + PEOPLE)
    with TestClient(create_app(tocsin, start_engine=False), base_url="https://testserver") as c:
        yield c


def run_at(clock: FakeClock, tocsin: Tocsin, when: datetime) -> None:
    """Move the clock to ``when`` and run every job due by then."""
    clock.set(when)
    tocsin.engine.run_until_idle()


def at(clock: FakeClock, tocsin: Tocsin, hour: int, minute: int, second: int = 0) -> None:
    """Move the clock to ``hour:minute:second`` on 2026-01-05 (UTC) and run the jobs due."""
    run_at(clock, tocsin, TEN.replace(hour=hour, minute=minute, second=second))


def outbox(tocsin: Tocsin, word: str) -> list[OutboxMessage]:
    """Recorded messages whose subject holds ``word``, oldest first."""
    with tocsin.database.sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [row for row in rows if word in row.subject]


def reminders(tocsin: Tocsin) -> list[tuple[str | None, str]]:
    return [(row.user_name, row.address) for row in outbox(tocsin, "public update overdue")]


def assign(api: TestClient, caller: Caller, reference: str, role: str, user: str) -> None:
    response = api.post(
        f"/api/v1/incidents/{reference}/roles",
        json={"role": role, "user": user},
        headers=caller.headers,
    )
    assert response.status_code == 200, response.text


def publish(api: TestClient, caller: Caller, reference: str) -> str:
    public = ok(
        api.post(
            f"/api/v1/incidents/{reference}/publish",
            json={
                "name": "Checkout errors",
                "body": "We are investigating failed payments.",
                "components": {"Checkout": "major_outage"},
            },
            headers=caller.headers,
        ),
        201,
    )
    code: str = public["id"]
    return code


def update(api: TestClient, caller: Caller, code: str, status: str = "identified") -> None:
    ok(
        api.post(
            f"/api/v1/status-page/incidents/{code}/updates",
            json={"status": status, "body": f"Now {status}."},
            headers=caller.headers,
        ),
        201,
    )


def set_status(
    api: TestClient, caller: Caller, reference: str, status: str, reason: str | None = None
) -> None:
    """Move the Tocsin incident to ``status`` (a reason where the lifecycle wants one)."""
    body = {"status": status} | ({"reason": reason} if reason else {})
    response = api.post(f"/api/v1/incidents/{reference}/status", json=body, headers=caller.headers)
    assert response.status_code == 200, response.text


def timeline(api: TestClient, caller: Caller, reference: str, mark: str) -> list[str]:
    """The texts of the incident's timeline entries the status page marked ``mark``."""
    entries = ok(api.get(f"/api/v1/incidents/{reference}/timeline", headers=caller.headers))
    return [e["text"] for e in entries if e["details"].get("statuspage") == mark]


def sev1(api: TestClient, responder: Caller) -> tuple[str, str]:
    """A SEV-1 declared and published now, the responder commanding and carol leading comms."""
    reference = declare(api, responder)
    assign(api, responder, reference, "incident_commander", responder.name)
    assign(api, responder, reference, "communications_lead", "carol")
    return reference, publish(api, responder, reference)
