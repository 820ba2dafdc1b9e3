"""A SEV-1 from declaration to resolution, as the public sees it in every format."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import feedparser
from fastapi.testclient import TestClient

from tests.alerts.support import served
from tests.conftest import Caller
from tests.statuspage.consumer import scrape
from tests.statuspage.statuspage_v2 import ENDPOINTS, check
from tests.statuspage.support import declare, ok, publish, set_up
from tests.statuspage.test_consumer import SERVICE_STATUS, component, info
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock


def _status_of(summary: dict[str, object], name: str) -> str:
    components = summary["components"]
    assert isinstance(components, list)
    return next(str(c["status"]) for c in components if c["name"] == name)


def test_a_sev1_shows_publicly_only_once_a_person_confirms_it(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    declare(client, responder)
    proposed = {
        c["name"]: c["proposal"]
        for c in ok(client.get("/api/v1/status-page/components", headers=responder.headers))
    }
    assert proposed["Checkout"]["status"] == "major_outage"
    assert proposed["Checkout"]["incidents"] == ["INC-1"]
    assert proposed["Search"] is None
    summary = ok(client.get("/api/v2/summary.json"))
    assert _status_of(summary, "Checkout") == "operational"
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}

    confirmed = ok(
        client.put(
            "/api/v1/status-page/components/Checkout",
            json={"status": "major_outage"},
            headers=responder.headers,
        )
    )
    assert confirmed["status"] == "major_outage" and confirmed["proposal"] is None
    summary = ok(client.get("/api/v2/summary.json"))
    assert _status_of(summary, "Checkout") == "major_outage"
    assert summary["status"]["indicator"] == "critical"


def test_publishing_shows_the_same_story_in_html_json_atom_and_rss(
    tocsin: Tocsin, client: TestClient, responder: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    reference = declare(client, responder)
    client.post(
        f"/api/v1/incidents/{reference}/notes",
        json={"text": "INTERNAL-MARKER db-7 is swapping", "kind": "observation"},
        headers=responder.headers,
    )
    public = publish(
        client,
        responder,
        reference,
        {
            "name": "Checkout errors",
            "body": "We are investigating failed payments.",
            "components": {"Checkout": "major_outage", "Payments API": "partial_outage"},
        },
    )
    assert public["impact"] == "critical" and public["status"] == "investigating"
    code = public["id"]
    clock.advance(timedelta(minutes=30))
    ok(
        client.post(
            f"/api/v1/status-page/incidents/{code}/updates",
            json={"status": "identified", "body": "A faulty deploy; rolling back."},
            headers=responder.headers,
        ),
        201,
    )

    for endpoint in ENDPOINTS:
        check(endpoint, ok(client.get(endpoint)))
    summary = ok(client.get("/api/v2/summary.json"))
    assert [i["id"] for i in summary["incidents"]] == [code]
    updates = summary["incidents"][0]["incident_updates"]
    assert [u["status"] for u in updates] == ["identified", "investigating"]
    assert updates[1]["affected_components"][0]["new_status"] == "major_outage"
    assert _status_of(summary, "Payments API") == "partial_outage"
    assert ok(client.get("/api/v2/incidents/unresolved.json"))["incidents"][0]["id"] == code

    html = client.get("/status").text
    assert "Checkout errors" in html and "A faulty deploy; rolling back." in html
    atom = feedparser.parse(client.get("/history.atom").content)
    rss = feedparser.parse(client.get("/history.rss").content)
    for feed in (atom, rss):
        assert not feed.bozo, feed.bozo_exception
        assert [entry.title for entry in feed.entries] == ["Checkout errors"]
        assert "A faulty deploy" in feed.entries[0].description
    outputs = [
        client.get(path).text for path in ("/status", "/history.atom", "/history.rss", *ENDPOINTS)
    ]
    assert not any("INTERNAL-MARKER" in text for text in outputs)

    timeline = ok(client.get(f"/api/v1/incidents/{reference}/timeline", headers=responder.headers))
    entries = timeline if isinstance(timeline, list) else timeline["entries"]
    published = [e["text"] for e in entries if e["kind"] == "status_update"]
    assert published == [
        "Public update (investigating): We are investigating failed payments.",
        "Public update (identified): A faulty deploy; rolling back.",
    ]


def test_resolving_returns_components_to_operational_and_the_bar_keeps_the_outage(
    tocsin: Tocsin, client: TestClient, responder: Caller, clock: FakeClock, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    clock.set(clock.now().replace(hour=10, minute=0, second=0, microsecond=0))
    reference = declare(client, responder)
    code = publish(
        client,
        responder,
        reference,
        {
            "name": "Checkout errors",
            "body": "Investigating.",
            "components": {"Checkout": "major_outage"},
        },
    )["id"]
    clock.advance(timedelta(minutes=45))
    ok(
        client.post(
            f"/api/v1/status-page/incidents/{code}/updates",
            json={"status": "resolved", "body": "Payments work again."},
            headers=responder.headers,
        ),
        201,
    )
    summary = ok(client.get("/api/v2/summary.json"))
    assert _status_of(summary, "Checkout") == "operational"
    assert summary["incidents"] == [] and summary["status"]["indicator"] == "none"
    assert ok(client.get("/api/v2/incidents.json"))["incidents"][0]["status"] == "resolved"
    html = client.get("/status").text
    assert "45 min major outage" in html
    assert "Payments failing" not in html  # the internal title stays internal


def test_a_real_statuspage_consumer_reads_tocsin(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    """statuspage-prometheus-exporter, pointed at Tocsin, sees the outage and the incident."""
    set_up(tocsin, tmp_path)
    reference = declare(client, responder)
    code = publish(
        client,
        responder,
        reference,
        {
            "name": "Checkout errors",
            "body": "Investigating.",
            "components": {"Checkout": "major_outage"},
        },
    )["id"]
    with served(tocsin) as base_url:
        metrics = scrape(base_url)
    assert metrics[SERVICE_STATUS] == 0
    assert metrics[component("Checkout")] == 0
    assert metrics[component("Search")] == 1
    assert info(metrics, "statuspage_incident_info", "incident_id") == {code: 1}


def test_a_drill_is_never_published_nor_backfilled(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    declared = client.post(
        "/api/v1/incidents",
        json={"title": "Game day", "severity": "SEV-1", "services": ["checkout"], "drill": True},
        headers=responder.headers,
    )
    reference = ok(declared, 201)["reference"]
    refused = client.post(
        f"/api/v1/incidents/{reference}/publish",
        json={"name": "Checkout errors", "body": "Investigating."},
        headers=responder.headers,
    )
    assert refused.status_code == 409, refused.text
    assert f"{reference} is a drill" in refused.text
    backfilled = client.post(
        "/api/v1/status-page/incidents",
        json={
            "name": "Checkout errors",
            "incident": reference,
            "started_at": (tocsin.clock.now() - timedelta(hours=1)).isoformat(),
            "updates": [{"status": "resolved", "body": "Fixed."}],
        },
        headers=responder.headers,
    )
    assert backfilled.status_code == 409, backfilled.text
    assert ok(client.get("/api/v2/incidents.json"))["incidents"] == []
