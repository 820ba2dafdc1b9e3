"""Nothing internal reaches the public: a crawl of every public address looks for markers."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from fastapi.testclient import TestClient

from tests.alerts.support import integration, payload
from tests.conftest import Caller
from tests.statuspage.support import ok, publish, set_up
from tocsin.app.service import Tocsin

PEOPLE = """
users:
  cora:
    full_name: Cora Marker-Person
    email: cora.leak-marker@example.com
    contact_methods:
      - {type: email, address: cora.leak-marker@example.com}
      - {type: sms, address: "+15550100999"}
"""
MARKERS = (
    "INTERNAL-NOTE-MARKER",
    "INTERNAL-TITLE-MARKER",
    "INTERNAL-SUMMARY-MARKER",
    "leak-marker",
    "Marker-Person",
    "+15550100999",
    "cora",
    "LABEL-MARKER",
    "INC-",
)
START = ("/status", "/status/partners", "/history.atom", "/history.rss", "/api/v2/summary.json")


def _crawl(client: TestClient) -> dict[str, str]:
    """Every public page reachable from the starting points, with the API documents."""
    seen: dict[str, str] = {}
    queue = list(START)
    queue += [f"/api/v2/{name}" for name in ("status.json", "components.json", "incidents.json")]
    queue += [f"/status/partners/api/v2/{name}" for name in ("summary.json", "incidents.json")]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = response.text
        for link in re.findall(r'(?:href|src)="([^"]+)"', response.text):
            target = urlsplit(urljoin(f"https://testserver{path}", link.replace("&amp;", "&")))
            if target.netloc == "testserver" and not target.path.startswith("/status-assets"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


def test_no_public_output_carries_notes_people_alert_labels_or_internal_titles(
    tocsin: Tocsin, client: TestClient, admin: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path, PEOPLE)
    key = integration(client, admin, "prometheus", "alertmanager")
    alert = payload("alertmanager_firing.json")
    alert["alerts"][0]["labels"]["pod"] = "LABEL-MARKER-pod-7"
    alert["alerts"][0]["annotations"]["summary"] = "LABEL-MARKER summary"
    client.post(f"/api/v1/integrations/{key}/alertmanager", json=alert)
    incident = ok(
        client.post(
            "/api/v1/incidents",
            json={
                "title": "INTERNAL-TITLE-MARKER db-7 failover",
                "summary": "INTERNAL-SUMMARY-MARKER",
                "severity": "SEV-1",
                "services": ["checkout"],
            },
            headers=admin.headers,
        ),
        201,
    )["reference"]
    for role in ("incident_commander", "communications_lead"):
        ok(
            client.post(
                f"/api/v1/incidents/{incident}/roles",
                json={"role": role, "user": "cora"},
                headers=admin.headers,
            )
        )
    client.post(
        f"/api/v1/incidents/{incident}/notes",
        json={"text": "INTERNAL-NOTE-MARKER customer X is angry", "kind": "observation"},
        headers=admin.headers,
    )
    public = publish(
        client,
        admin,
        incident,
        {
            "name": "Payments are failing",
            "body": "We are investigating failed payments.",
            "components": {"Payments API": "major_outage"},
        },
    )
    ok(
        client.post(
            "/api/v1/status-page/maintenances",
            json={
                "name": "Database upgrade",
                "body": "Short pauses in checkout.",
                "components": ["Checkout"],
                "scheduled_for": "2099-01-01T10:00:00Z",
                "scheduled_until": "2099-01-01T11:00:00Z",
            },
            headers=admin.headers,
        ),
        201,
    )

    pages = _crawl(client)
    assert f"/status/incidents/{public['id']}" in pages
    assert any(path.startswith("/status/history") for path in pages)
    assert any(path.startswith("/status/partners/incidents/") for path in pages)
    for path, text in pages.items():
        for marker in MARKERS:
            assert marker not in text, f"{marker!r} leaked in {path}"
