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
from tests.console.test_viewer import _log_in
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
from tests.statuspage.test_subscribers import smtp
from tests.statuspage.test_subscribers_webhooks import (
    check_slack,
    check_statuspage_webhook,
    check_teams,
    sink,
)
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock
from tocsin.notify.webhook import DELIVERY_HEADER

#: The postmortem tests' fixtures, and the subscriber tests' receivers, used here too.
__all__ = ["api", "refs", "sink", "smtp", "start"]


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


SUBSCRIBERS = "/api/v1/status-page/subscribers"


def subscribe(api: TestClient, admin: Caller, channel: str, address: str, **extra: Any) -> str:
    body = {"channel": channel, "address": address, "confirmed": True, **extra}
    code: str = ok(api.post(SUBSCRIBERS, json=body, headers=admin.headers), 201)["id"]
    return code


def told(sink: HttpSink, smtp: SmtpSink) -> list[str]:
    """Every message that arrived: the mails' subjects and the webhooks' paths."""
    return [mail.subject for mail in smtp.emails] + [r.path for r in sink.received()]


def test_made_public_with_notify_its_subscribers_are_told_once(
    tocsin: Tocsin,
    api: TestClient,
    refs: dict[str, str],
    smtp: SmtpSink,
    sink: HttpSink,
    clock: FakeClock,
    admin: Caller,
    responder: Caller,
) -> None:
    pm, code = refs["postmortem"], refs["public"]
    reader = subscribe(api, admin, "email", "reader@example.com")
    subscribe(api, admin, "email", "elsewhere@example.com", components=["Payments API"])
    hook_id = subscribe(api, admin, "webhook", sink.url("/hook"))
    subscribe(api, admin, "slack", sink.url("/slack"))
    subscribe(api, admin, "teams", sink.url("/teams"))
    tocsin.engine.run_until_idle()
    before = len(smtp.emails)

    quiet = ok(api.post(f"{API}/{pm}/public", headers=responder.headers))
    tocsin.engine.run_until_idle()
    assert quiet["public_notified_at"] is None and told(sink, smtp)[before:] == []
    ok(api.delete(f"{API}/{pm}/public", headers=responder.headers))

    clock.advance(timedelta(hours=1))
    answer = ok(api.post(f"{API}/{pm}/public", json={"notify": True}, headers=responder.headers))
    assert answer["public_notified_at"] == answer["public_at"]
    tocsin.engine.run_until_idle()
    (mail,) = smtp.to("reader@example.com")
    assert mail.subject.endswith("Checkout errors: Postmortem")
    assert f"https://status.acme.example/status/incidents/{code}/postmortem" in mail.body
    assert "is published: [SEV-2] Payments failing - 2026-03-02." in mail.body
    assert mail.message["List-Unsubscribe"], "the same unsubscribe headers as an update's"
    assert smtp.to("elsewhere@example.com") == [], "a subscriber of other components"
    (hook,) = sink.received("/hook")
    payload = hook.json()
    check_statuspage_webhook(payload)
    assert payload["incident"]["id"] == code and payload["incident"]["status"] == "postmortem"
    assert "## Root cause analysis" in payload["incident"]["postmortem_body"]
    assert hook.headers[DELIVERY_HEADER] == f"status.{code}.postmortem.{hook_id}"
    (slack,) = sink.received("/slack")
    check_slack(slack.json())
    assert "Checkout errors: Postmortem" in slack.json()["text"]
    (teams,) = sink.received("/teams")
    check_teams(teams.json())
    texts = timeline_texts(api, responder, refs["incident"])
    assert f"Postmortem {pm} published publicly on the status page (incident {code}); its " in (
        " ".join(texts)
    )

    history = ok(api.get(f"{SUBSCRIBERS}/{reader}/deliveries", headers=admin.headers))
    (delivery,) = history["deliveries"]
    assert delivery["kind"] == "postmortem" and delivery["state"] == "sent"
    assert delivery["postmortem"] == {
        "incident_id": code,
        "incident_name": "Checkout errors",
        "title": "[SEV-2] Payments failing - 2026-03-02",
    }

    listed = ok(
        api.get(
            f"/api/v1/status-page/incidents/{code}/postmortem/deliveries", headers=admin.headers
        )
    )
    assert listed["counts"] == {"sent": 4}, "the reader, the webhook, Slack and Teams"
    assert sorted(row["channel"] for row in listed["deliveries"]) == [
        "email",
        "slack",
        "teams",
        "webhook",
    ]
    forbidden = api.get(
        f"/api/v1/status-page/incidents/{code}/postmortem/deliveries", headers=responder.headers
    )
    assert forbidden.status_code == 403
    missing = api.get(
        "/api/v1/status-page/incidents/nosuchone/postmortem/deliveries", headers=admin.headers
    )
    assert missing.status_code == 404

    _log_in(tocsin, api, "olga", "admin")
    logged = api.get(f"/status-page/subscribers/{reader}/deliveries").text
    assert f'Postmortem of <a href="/status-page/incidents/{code}">Checkout errors</a>' in logged
    story = api.get(f"/status-page/incidents/{code}").text
    assert "subscribers notified" in story and ": 4 sent" in story
    assert f'href="/status-page/incidents/{code}/postmortem/deliveries"' in story
    shown = api.get(f"/status-page/incidents/{code}/postmortem/deliveries").text
    assert "Who was told the postmortem is public" in shown and "sent: 4" in shown
    assert f"webhook {hook_id}" in shown

    count = len(told(sink, smtp))
    clock.advance(timedelta(hours=1))
    again = ok(api.post(f"{API}/{pm}/public", json={"notify": True}, headers=responder.headers))
    tocsin.engine.run_until_idle()
    assert again["public_notified_at"] == answer["public_notified_at"]
    assert len(told(sink, smtp)) == count, "told once"


def test_withdrawn_before_it_was_told_nobody_hears_of_it(
    tocsin: Tocsin,
    api: TestClient,
    refs: dict[str, str],
    smtp: SmtpSink,
    admin: Caller,
    responder: Caller,
) -> None:
    pm = refs["postmortem"]
    subscribe(api, admin, "email", "reader@example.com")
    tocsin.engine.run_until_idle()
    ok(api.post(f"{API}/{pm}/public", json={"notify": True}, headers=responder.headers))
    ok(api.delete(f"{API}/{pm}/public", headers=responder.headers))
    tocsin.engine.run_until_idle()
    assert smtp.to("reader@example.com") == []
    refused = api.post(f"{API}/{pm}/public", json={"notify": "yes please"}, headers=admin.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["body", "notify"]
