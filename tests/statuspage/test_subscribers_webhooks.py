"""Webhook, Slack and Teams subscribers against HTTP receivers on 127.0.0.1.

The receivers record what arrives; the checks below hold each body to the
shape its receiver documents (Statuspage's webhook, Slack's incoming
webhook, a Teams message with an Adaptive Card) and verify the signature.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tests.statuspage import test_subscribers as emailing
from tests.statuspage.support import ok
from tests.statuspage.test_subscribers import post_update, publish
from tests.support.sinks import HttpSink, Request, SmtpSink, http_sink
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock
from tocsin.notify.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tocsin.statuspage.subscriber_delivery import DISABLE_AFTER_FAILURES
from tocsin.statuspage.tables import Delivery, Subscriber

smtp, web = emailing.smtp, emailing.web
API = "/api/v1/status-page/subscribers"
INDICATORS = {"none", "minor", "major", "critical"}
STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with http_sink() as receiver:
        yield receiver


def add(client: TestClient, caller: Caller, channel: str, url: str, **extra: object) -> Any:
    body = {"channel": channel, "address": url, **extra}
    return ok(client.post(API, json=body, headers=caller.headers), 201)


def posts(sink: HttpSink, path: str, kind: str = "incident") -> list[Request]:
    """What ``path`` received about an ``incident`` (or a ``component_update``)."""
    return [request for request in sink.received(path) if kind in request.json()]


def check_statuspage_webhook(payload: Any) -> None:
    """Statuspage's incident webhook: meta, page and incident with its updates."""
    assert set(payload) == {"meta", "page", "incident"}
    assert set(payload["meta"]) == {"unsubscribe", "documentation"}
    assert set(payload["page"]) == {"id", "status_indicator", "status_description"}
    assert payload["page"]["status_indicator"] in INDICATORS
    incident = payload["incident"]
    for field in ("id", "name", "status", "impact", "shortlink", "created_at", "updated_at"):
        assert isinstance(incident[field], str), field
    for field in ("monitoring_at", "resolved_at"):
        assert field in incident
    assert incident["status"] in STATUSES
    assert incident["incident_updates"], "the incident carries its updates"
    for update in incident["incident_updates"]:
        for field in ("id", "status", "body", "created_at", "display_at", "incident_id"):
            assert isinstance(update[field], str), field
        assert update["incident_id"] == incident["id"]
        for component in update["affected_components"]:
            assert set(component) >= {"code", "name", "old_status", "new_status"}


def check_slack(payload: Any) -> None:
    """Slack's incoming webhook: text for notifications, blocks of known types."""
    assert isinstance(payload["text"], str) and payload["text"]
    assert isinstance(payload["blocks"], list) and payload["blocks"]
    for block in payload["blocks"]:
        assert block["type"] in {"header", "section", "context", "divider"}
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert block["text"]["type"] in {"plain_text", "mrkdwn"}
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert all(e["type"] in {"mrkdwn", "plain_text", "image"} for e in block["elements"])


def check_teams(payload: Any) -> None:
    """A Teams incoming webhook message with one Adaptive Card."""
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] in {"1.2", "1.3", "1.4", "1.5"}
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    for element in card["body"]:
        assert element["type"] in {"TextBlock", "FactSet"}
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str)
        else:
            assert all(set(fact) == {"title", "value"} for fact in element["facts"])
    for action in card["actions"]:
        assert action["type"] == "Action.OpenUrl" and action["url"].startswith("http")


def test_webhook_slack_and_teams_get_their_shapes_and_webhooks_are_signed(
    tocsin: Tocsin,
    web: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    smtp: SmtpSink,
    clock: FakeClock,
) -> None:
    hook = add(web, admin, "webhook", sink.url("/hook"))
    add(web, admin, "slack", sink.url("/slack"))
    add(web, admin, "teams", sink.url("/teams"))
    public = publish(web, responder, {"Checkout": "major_outage"})
    tocsin.engine.run_until_idle()
    (request,) = posts(sink, "/hook")
    assert len(posts(sink, "/hook", "component_update")) == 1, "and the component's change"
    assert verify(
        hook["secret"],
        request.headers[TIMESTAMP_HEADER],
        request.body,
        request.headers[SIGNATURE_HEADER],
        clock.now(),
    )
    assert not verify(
        "whsec_wrong",
        request.headers[TIMESTAMP_HEADER],
        request.body,
        request.headers[SIGNATURE_HEADER],
        clock.now(),
    )
    payload = request.json()
    check_statuspage_webhook(payload)
    assert payload["incident"]["id"] == public["id"]
    assert payload["incident"]["name"] == "Checkout errors"
    assert payload["page"]["status_indicator"] == "critical"
    assert "/status/subscribers/" in payload["meta"]["unsubscribe"]
    assert payload["meta"]["documentation"].endswith("/status/subscribers/webhooks")
    assert web.get("/status/subscribers/webhooks").status_code == 200
    assert request.headers[DELIVERY_HEADER].startswith("status.")
    (slack,) = sink.received("/slack")
    check_slack(slack.json())
    assert "Checkout errors" in slack.json()["text"]
    (teams,) = sink.received("/teams")
    check_teams(teams.json())
    assert "Checkout errors" in str(teams.json())

    post_update(web, responder, public["id"], "resolved", "Fixed.")
    tocsin.engine.run_until_idle()
    second = posts(sink, "/hook")[1].json()
    check_statuspage_webhook(second)
    assert [u["status"] for u in second["incident"]["incident_updates"]] == [
        "resolved",
        "investigating",
    ]
    assert len(sink.received("/slack")) == 2 and len(sink.received("/teams")) == 2
    unsubscribe = payload["meta"]["unsubscribe"].split("://", 1)[1].split("/", 1)[1]
    assert web.post("/" + unsubscribe).status_code == 200
    with tocsin.database.sessions() as session:
        assert session.scalar(select(Subscriber).where(Subscriber.channel == "webhook")) is None


def run_for(tocsin: Tocsin, clock: FakeClock, hours: int) -> None:
    """Let ``hours`` pass an hour at a time, running what falls due."""
    for _ in range(hours):
        tocsin.engine.run_until_idle()
        clock.advance(timedelta(hours=1))
    tocsin.engine.run_until_idle()


def test_a_failing_webhook_is_retried_then_disabled_and_its_owner_told(
    tocsin: Tocsin,
    web: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    smtp: SmtpSink,
    clock: FakeClock,
) -> None:
    sink.failing["/down"] = 503
    down = add(web, admin, "webhook", sink.url("/down"), owner_email="owner@example.com")
    add(web, admin, "webhook", sink.url("/up"))
    # No component changes status: only the incident's updates are told here
    # (test_component_webhooks.py covers the changes' own webhooks).
    public = publish(web, responder, {})
    run_for(tocsin, clock, 12)
    with tocsin.database.sessions() as session:
        row = session.scalars(select(Subscriber).where(Subscriber.code == down["id"])).one()
        delivery = session.scalars(select(Delivery).where(Delivery.subscriber_id == row.id)).one()
    assert delivery.state == "failed" and delivery.attempts == DISABLE_AFTER_FAILURES
    assert "503" in (delivery.last_error or "")
    assert row.failures == DISABLE_AFTER_FAILURES
    assert row.disabled_at is None, "ten failures within hours do not disable it yet"
    assert smtp.to("owner@example.com") == []
    assert len(sink.received("/up")) == 1

    clock.advance(timedelta(days=1))
    post_update(web, responder, public["id"], "identified", "Found it.")
    run_for(tocsin, clock, 1)
    with tocsin.database.sessions() as session:
        row = session.scalars(select(Subscriber).where(Subscriber.code == down["id"])).one()
    assert row.disabled_at is not None and "in a row failed" in (row.disabled_reason or "")
    (notice,) = smtp.to("owner@example.com")
    assert "disabled" in notice.subject and "http://127.0.0.1/…" in notice.body
    assert "/down" not in notice.body, "the owner mail shows the host only"
    listed = ok(web.get(API, params={"channel": "webhook"}, headers=admin.headers))
    assert {s["id"]: s["disabled_at"] is not None for s in listed["subscribers"]}[down["id"]]

    post_update(web, responder, public["id"], "resolved", "Fixed.")
    run_for(tocsin, clock, 1)
    with tocsin.database.sessions() as session:
        told = session.scalars(
            select(Delivery.state).join(Subscriber).where(Subscriber.code == down["id"])
        ).all()
    assert len(told) == 2, "a disabled subscriber is not told"
    assert len(sink.received("/up")) == 3

    sink.failing.clear()
    enabled = ok(web.post(f"{API}/{down['id']}/enable", headers=admin.headers))
    assert enabled["disabled_at"] is None and enabled["failures"] == 0
