"""What the status page tests share: a configuration with linked services, and API calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.alerts.support import configure
from tests.conftest import Caller
from tests.support.processes import wait_for
from tocsin.app.service import Tocsin
from tocsin.engine.jobs import PENDING, RUNNING
from tocsin.engine.tables import Job

CONFIG = """
services:
  checkout:
    components: [Checkout, Payments API]
  search:
    components: [Search]
  reports: {}

status_page:
  title: Acme status
  components:
    - {name: Checkout, group: Payments, description: Buying things}
    - {name: Payments API, group: Payments}
    - {name: Search}
    - {name: Admin, only_show_if_degraded: true}
  pages:
    - {slug: partners, title: Partner status, components: [Payments API]}
    - {slug: staff, title: Staff status, components: [Admin, Search], access: login}
"""


def set_up(tocsin: Tocsin, directory: Path, extra: str = "") -> None:
    configure(tocsin, directory, {"org.yaml": CONFIG + extra})


def declare(
    client: TestClient,
    caller: Caller,
    severity: str = "SEV-1",
    services: tuple[str, ...] = ("checkout",),
) -> str:
    response = client.post(
        "/api/v1/incidents",
        json={"title": "Payments failing", "severity": severity, "services": list(services)},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


def publish(client: TestClient, caller: Caller, reference: str, body: dict[str, Any]) -> Any:
    """Publish ``reference`` through the API; the public incident (it must be accepted)."""
    response = client.post(
        f"/api/v1/incidents/{reference}/publish", json=body, headers=caller.headers
    )
    return ok(response, 201)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def settle(tocsin: Tocsin) -> None:
    """Run every job due now, and wait for those the app's own worker threads took.

    The test client starts the app's engine, whose threads may claim a job
    first; ``run_until_idle`` alone would then return before that job commits.
    """

    def idle() -> bool:
        tocsin.engine.run_until_idle()
        now = tocsin.clock.now()
        with tocsin.database.sessions() as session:
            busy = session.scalar(
                select(func.count())
                .select_from(Job)
                .where((Job.state == RUNNING) | ((Job.state == PENDING) & (Job.run_at <= now)))
            )
        return busy == 0

    wait_for(idle, timeout=30, what="the jobs due now to finish")
