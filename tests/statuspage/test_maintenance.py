"""Scheduled maintenance: announced, started and completed on time, and no paging meanwhile."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.alerts.support import groups, integration, payload
from tests.conftest import Caller
from tests.statuspage.statuspage_v2 import check
from tests.statuspage.support import ok, set_up, settle
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

ESCALATION = """
escalation_policies:
  checkout-oncall:
    steps: [{targets: [{user: rex}], timeout_minutes: 10}]
paging:
  default_escalation_policy: checkout-oncall
"""


def _maintenance(
    client: TestClient, caller: Caller, clock: FakeClock, *, auto: bool = True
) -> dict[str, object]:
    start = clock.now() + timedelta(hours=2)
    return ok(  # type: ignore[no-any-return]
        client.post(
            "/api/v1/status-page/maintenances",
            json={
                "name": "Database upgrade",
                "body": "Checkout may be slow for a few minutes.",
                "components": ["Checkout"],
                "scheduled_for": start.isoformat(),
                "scheduled_until": (start + timedelta(hours=1)).isoformat(),
                "auto_transition": auto,
            },
            headers=caller.headers,
        ),
        201,
    )


def _docs(client: TestClient, *paths: str) -> list[list[str]]:
    found = []
    for path in paths:
        document = ok(client.get(path))
        check(path, document)
        found.append([m["status"] for m in document["scheduled_maintenances"]])
    return found


def test_a_maintenance_starts_and_completes_on_its_own(
    tocsin: Tocsin, client: TestClient, responder: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path, ESCALATION)
    code = _maintenance(client, responder, clock)["id"]
    upcoming, active = (
        "/api/v2/scheduled-maintenances/upcoming.json",
        ("/api/v2/scheduled-maintenances/active.json"),
    )
    assert _docs(client, upcoming, active) == [["scheduled"], []]
    assert "Database upgrade" in client.get("/status").text

    clock.advance(hours=1)
    settle(tocsin)
    reminded = ok(client.get(f"/api/v1/status-page/incidents/{code}", headers=responder.headers))
    assert reminded["updates"][0]["body"].startswith("Reminder: this maintenance starts at")
    assert (reminded["status"], reminded["updates"][0]["notify"]) == ("scheduled", True)
    clock.advance(hours=1)
    settle(tocsin)
    assert _docs(client, upcoming, active) == [[], ["in_progress"]]
    summary = ok(client.get("/api/v2/summary.json"))
    checkout = next(c for c in summary["components"] if c["name"] == "Checkout")
    assert checkout["status"] == "under_maintenance"
    assert summary["status"]["description"] == "Service Under Maintenance"

    clock.advance(hours=1)
    settle(tocsin)
    assert _docs(client, upcoming, active) == [[], []]
    shown = ok(client.get(f"/api/v1/status-page/incidents/{code}", headers=responder.headers))
    statuses = [u["status"] for u in shown["updates"]]
    assert statuses == ["completed", "in_progress", "scheduled", "scheduled"]
    summary = ok(client.get("/api/v2/summary.json"))
    assert {c["status"] for c in summary["components"]} == {"operational"}


def test_alerts_from_its_services_do_not_page_while_it_runs(
    tocsin: Tocsin,
    client: TestClient,
    admin: Caller,
    responder: Caller,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    set_up(tocsin, tmp_path, ESCALATION)
    code = _maintenance(client, responder, clock, auto=False)["id"]
    key = integration(client, admin, "prometheus", "alertmanager")
    clock.advance(hours=2, minutes=5)
    client.post(
        f"/api/v1/integrations/{key}/alertmanager", json=payload("alertmanager_firing.json")
    )
    (group,) = groups(tocsin)
    assert (group.paging, group.suppressed_by) == (False, f"maintenance status-page-{code}")

    ok(
        client.post(
            f"/api/v1/status-page/incidents/{code}/updates",
            json={"status": "completed", "body": "Done early."},
            headers=responder.headers,
        ),
        201,
    )
    settle(tocsin)
    assert groups(tocsin)[0].paging
