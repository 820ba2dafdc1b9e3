"""Several pages, each with its own components; private pages need a login or an address."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from tests.alerts.support import served
from tests.conftest import Caller
from tests.statuspage.statuspage_v2 import ENDPOINTS, check
from tests.statuspage.support import declare, ok, publish, set_up
from tocsin.app.service import Tocsin

ALLOWED = """
    - {slug: office, title: Office status, components: [Search], allow: [127.0.0.0/8]}
"""


def _names(document: dict[str, list[dict[str, str]]]) -> list[str]:
    return [c["name"] for c in document["components"]]


def test_each_page_shows_its_own_components_and_incidents(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    reference = declare(client, responder, services=("search",))
    publish(
        client,
        responder,
        reference,
        {
            "name": "Slow search",
            "body": "Looking.",
            "components": {"Search": "degraded_performance"},
        },
    )
    main = ok(client.get("/api/v2/summary.json"))
    assert _names(main) == ["Payments", "Checkout", "Payments API", "Search"]
    assert main["components"][0]["group"] is True
    assert main["status"]["indicator"] == "critical"  # the incident's impact
    partners = ok(client.get("/status/partners/api/v2/summary.json"))
    for endpoint in ENDPOINTS:
        check(endpoint, ok(client.get(f"/status/partners{endpoint}")))
    assert _names(partners) == ["Payments", "Payments API"]
    assert partners["incidents"] == [] and partners["status"]["indicator"] == "none"
    assert partners["page"]["url"].endswith("/status/partners")
    assert "Slow search" not in client.get("/status/partners").text
    assert "Slow search" in client.get("/status").text
    assert client.get("/status/nowhere").status_code == 404
    assert client.get("/status/nowhere/api/v2/summary.json").status_code == 404
    assert client.get("/api/v2/nothing.json").status_code == 404


def test_a_private_page_asks_for_a_login_and_an_address_list_is_enforced(
    tocsin: Tocsin, client: TestClient, viewer: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path, ALLOWED)
    assert client.get("/status/staff/api/v2/summary.json").status_code == 401
    assert client.get("/status/staff/history.atom").status_code == 401
    page = client.get("/status/staff", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/status/staff")
    signed = client.get("/status/staff/api/v2/summary.json", headers=viewer.headers)
    assert _names(ok(signed)) == ["Search"]
    assert signed.headers["cache-control"] == "private, no-store"
    # The test client's address is not an IP address in 127.0.0.0/8; a real client's is.
    assert client.get("/status/office").status_code == 403
    with served(tocsin) as url:
        assert httpx.get(f"{url}/status/office/api/v2/status.json").status_code == 200
