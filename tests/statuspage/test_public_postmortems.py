"""A published postmortem made public: the public incident's status becomes postmortem, and
its public version is linked from the incident's page, the status API, the feeds and the
static copy; withdrawn, it is gone from all of them. Drills and drafts are refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.postmortems.conftest import api, refs, start
from tests.postmortems.support import (
    API,
    INTERNAL_MARKERS,
    caller_for,
    declare,
    move,
    ok,
    timeline_texts,
)
from tests.statuspage.statuspage_v2 import check
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

__all__ = ["api", "refs", "start"]  # the postmortem tests' fixtures, used here too


def incident_json(api: TestClient, code: str) -> dict[str, Any]:
    answer = ok(api.get("/api/v2/incidents.json"))
    check("/api/v2/incidents.json", answer)
    found: dict[str, Any] = next(i for i in answer["incidents"] if i["id"] == code)
    return found


def run_exports(tocsin: Tocsin, clock: FakeClock) -> None:
    """Let the change's export window close and settle, then run the static export."""
    tocsin.engine.run_until_idle()
    clock.advance(timedelta(seconds=4))
    tocsin.engine.run_until_idle()


def test_made_public_it_is_linked_everywhere_and_withdrawn_it_is_gone(
    tocsin: Tocsin,
    api: TestClient,
    clock: FakeClock,
    responder: Caller,
    refs: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pm, code, incident = refs["postmortem"], refs["public"], refs["incident"]
    site = tmp_path / "export" / "site"
    monkeypatch.setenv("TOCSIN_STATUS_EXPORT_DIR", str(site))
    clock.advance(timedelta(hours=1))
    answer = ok(api.post(f"{API}/{pm}/public", headers=responder.headers))
    assert answer["public_at"] is not None
    link = f"/status/incidents/{code}/postmortem"

    assert f'href="{link}"' in api.get(f"/status/incidents/{code}").text
    assert f'href="{link}"' in api.get("/status/history").text
    page = api.get(link)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Postmortem: [SEV-2] Payments failing - 2026-03-02</h1>" in page.text
    for heading in ("Summary", "Impact", "Timeline", "Root cause analysis", "Action items"):
        assert f">{heading}</h2>" in page.text
    for hidden in (*INTERNAL_MARKERS, "carol", responder.name, "Contributing factors"):
        assert hidden not in page.text, hidden
    assert "Add query performance tests to CI" in page.text

    shaped = incident_json(api, code)
    assert shaped["status"] == "postmortem"
    assert "## Root cause analysis" in shaped["postmortem_body"]
    assert "A missing index on the payments table." in shaped["postmortem_body"]
    assert shaped["postmortem_published_at"].startswith("2026-03-02T10:00:00")
    assert shaped["postmortem_body_last_updated_at"] == shaped["postmortem_published_at"]
    assert not any(marker in shaped["postmortem_body"] for marker in INTERNAL_MARKERS)

    feed = feedparser.parse(api.get("/history.atom").content)
    entry = next(e for e in feed.entries if e.link.endswith(f"/incidents/{code}"))
    assert f"{link}" in entry.content[0].value and "Postmortem" in entry.content[0].value
    assert link in api.get("/history.rss").text

    run_exports(tocsin, clock)
    copied = (site / "incidents" / f"{code}.html").read_text()
    assert f'href="../incidents/{code}/postmortem.html"' in copied
    copy = (site / "incidents" / code / "postmortem.html").read_text()
    assert "Root cause analysis" in copy and 'href="../../assets/status.css"' in copy
    assert "LUCKY-MARKER" not in copy
    assert f"Postmortem {pm} published publicly on the status page" in " ".join(
        timeline_texts(api, responder, incident)
    )

    clock.advance(timedelta(hours=1))
    refreshed = ok(api.post(f"{API}/{pm}/public", headers=responder.headers))
    assert refreshed["public_at"] == answer["public_at"]
    again = incident_json(api, code)
    assert again["postmortem_published_at"] == shaped["postmortem_published_at"]
    assert again["postmortem_body_last_updated_at"].startswith("2026-03-02T11:00:04")

    withdrawn = ok(api.delete(f"{API}/{pm}/public", headers=responder.headers))
    assert withdrawn["public_at"] is None
    assert api.get(link).status_code == 404
    assert "postmortem" not in api.get(f"/status/incidents/{code}").text.lower()
    gone = incident_json(api, code)
    assert gone["status"] == "resolved" and "postmortem_body" not in gone
    assert link not in api.get("/history.atom").text
    assert link not in api.get("/history.rss").text
    run_exports(tocsin, clock)
    assert not (site / "incidents" / code / "postmortem.html").exists()
    assert "postmortem" not in (site / "incidents" / f"{code}.html").read_text().lower()
    texts = " ".join(timeline_texts(api, responder, incident))
    assert f"Postmortem {pm} withdrawn from the status page (incident {code})" in texts
    actions = [v["action"] for v in ok(api.get(f"{API}/{pm}/versions", headers=responder.headers))]
    assert actions[-3:] == ["made_public", "public_refreshed", "public_withdrawn"]
    again_refused = api.delete(f"{API}/{pm}/public", headers=responder.headers)
    assert again_refused.status_code == 409 and "is not public" in again_refused.json()["detail"]


def published_without_status_page(
    tocsin: Tocsin, api: TestClient, admin: Caller, *, drill: bool
) -> str:
    reference = declare(api, admin, "SEV-3", drill=drill)
    move(api, admin, reference, "resolved", reason="over")
    tocsin.engine.run_until_idle()
    pm: str = ok(
        api.post(f"/api/v1/incidents/{reference}/postmortem", json={}, headers=admin.headers), 201
    )["reference"]
    ok(api.post(f"{API}/{pm}/submit", json={"reviewers": ["carol"]}, headers=admin.headers))
    carol = caller_for(tocsin, "carol")
    ok(api.post(f"{API}/{pm}/reviews", json={"verdict": "approve"}, headers=carol.headers))
    ok(api.post(f"{API}/{pm}/publish", json={}, headers=admin.headers))
    return pm


def test_drills_drafts_and_incidents_not_on_the_status_page_are_refused(
    tocsin: Tocsin, api: TestClient, admin: Caller
) -> None:
    drill = published_without_status_page(tocsin, api, admin, drill=True)
    refused = api.post(f"{API}/{drill}/public", headers=admin.headers)
    assert refused.status_code == 409 and "is a drill" in refused.json()["detail"]
    unseen = published_without_status_page(tocsin, api, admin, drill=False)
    refused = api.post(f"{API}/{unseen}/public", headers=admin.headers)
    assert refused.status_code == 409
    assert "is not on the status page: publish it there first" in refused.json()["detail"]
    assert ok(api.get(f"{API}/{unseen}", headers=admin.headers))["public_at"] is None

    reference = declare(api, admin, "SEV-3")
    move(api, admin, reference, "resolved", reason="over")
    draft = ok(
        api.post(f"/api/v1/incidents/{reference}/postmortem", json={}, headers=admin.headers), 201
    )["reference"]
    refused = api.post(f"{API}/{draft}/public", headers=admin.headers)
    assert refused.status_code == 409
    assert "only a published or closed postmortem has a public version" in refused.json()["detail"]
    assert api.post(f"{API}/{draft}/public").status_code == 401


def test_a_public_incident_not_yet_resolved_is_refused(
    tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller, refs: dict[str, str]
) -> None:
    ok(
        api.post(
            f"/api/v1/status-page/incidents/{refs['public']}/updates",
            json={"status": "monitoring", "body": "Watching it again.", "components": {}},
            headers=responder.headers,
        ),
        201,
    )
    refused = api.post(f"{API}/{refs['postmortem']}/public", headers=responder.headers)
    assert refused.status_code == 409 and "is still monitoring" in refused.json()["detail"]
    assert "postmortem_body" not in incident_json(api, refs["public"])
