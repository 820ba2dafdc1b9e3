"""Services published automatically change their components' statuses without a person."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.statuspage.support import declare, ok, set_up, settle
from tocsin.app.service import Tocsin

AUTOMATIC = "  publish_automatically: [search]\n"


def _statuses(client: TestClient) -> dict[str, str]:
    summary = ok(client.get("/api/v2/summary.json"))
    return {c["name"]: c["status"] for c in summary["components"] if not c["group"]}


def test_incidents_of_an_automatic_service_set_and_clear_its_components(
    tocsin: Tocsin, client: TestClient, responder: Caller, admin: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path, AUTOMATIC)
    searching = declare(client, responder, "SEV-3", ("search",))
    paying = declare(client, responder, "SEV-1", ("checkout",))
    settle(tocsin)
    statuses = _statuses(client)
    assert statuses["Search"] == "degraded_performance"
    assert statuses["Checkout"] == "operational"  # waits for a person

    ok(
        client.post(
            f"/api/v1/incidents/{searching}/severity",
            json={"severity": "SEV-2", "reason": "worse"},
            headers=responder.headers,
        )
    )
    settle(tocsin)
    assert _statuses(client)["Search"] == "partial_outage"

    for reference in (searching, paying):
        ok(
            client.post(
                f"/api/v1/incidents/{reference}/status",
                json={"status": "resolved", "reason": "fixed"},
                headers=admin.headers,
            )
        )
    settle(tocsin)
    assert set(_statuses(client).values()) == {"operational"}
