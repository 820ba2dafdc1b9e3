"""The generic webhook tracker: signed events out, signed statuses in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.postmortems.support import API, ok
from tests.postmortems.tracker_support import (
    TrackerSetup,
    api,
    change_item,
    item_of,
    pm,
    publish,
    pushed,
)
from tests.support.sinks import HttpSink, Request
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

__all__ = ["api", "pm"]  # the tracker tests' API and postmortem
from tocsin.notify.webhook import signature, verify

SECRET_ENV, SECRET = "TRACKER_HOOK_SECRET", "a-long-shared-secret"
EVENTS = "/api/v1/action-items/trackers/{name}/events"


def trackers(url: str) -> str:
    return f"""
issue_trackers:
  tickets:
    type: webhook
    webhook:
      url: {url}
      secret_env: {SECRET_ENV}
  elsewhere:
    type: webhook
    teams: [payments]
    webhook:
      url: {url.replace("/tickets", "/elsewhere")}
      secret_env: {SECRET_ENV}
  jira-ops:
    type: jira
    teams: [platform]
    jira:
      url: https://example.atlassian.net
      project: OPS
      token_env: TRACKER_JIRA_UNUSED
teams:
  platform: {{}}
"""


@pytest.fixture(name="tracker_setup")
def webhook_trackers(sink: HttpSink) -> TrackerSetup:
    return TrackerSetup(trackers(sink.url("/tickets")), {SECRET_ENV: SECRET})


def _checked(request: Request, clock: FakeClock) -> dict[str, Any]:
    """The event's JSON, once its signature holds."""
    headers = {key.lower(): value for key, value in request.headers.items()}
    assert verify(
        SECRET,
        headers["x-tocsin-timestamp"],
        request.body,
        headers["x-tocsin-signature"],
        clock.now(),
    )
    event: dict[str, Any] = request.json()
    assert headers["x-tocsin-delivery"] == event["delivery"]
    return event


def _signed(body: dict[str, Any], clock: FakeClock, secret: str = SECRET) -> dict[str, Any]:
    content = json.dumps(body).encode()
    stamp = int(clock.now().timestamp())
    return {
        "content": content,
        "headers": {
            "Content-Type": "application/json",
            "X-Tocsin-Timestamp": str(stamp),
            "X-Tocsin-Signature": signature(secret, stamp, content),
        },
    }


def test_events_are_signed_and_carry_the_item_and_its_changes(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    sink: HttpSink,
    pm: str,
) -> None:
    item = pushed(tocsin, api, responder, pm, owner="carol")
    (created,) = sink.received("/tickets")
    event = _checked(created, clock)
    assert event["event"] == "action_item.created"
    assert event["action_item"]["reference"] == "AI-1"
    assert event["action_item"]["owner"] == "carol"
    assert event["action_item"]["postmortem"] == pm
    # The team-filtered tracker took it too (payments owns the incident's service).
    assert len(sink.received("/elsewhere")) == 1
    links = item_of(api, responder, pm, item["id"])["trackers"]
    assert [(t["tracker"], t["state"], t["key"]) for t in links] == [
        ("elsewhere", "linked", "AI-1"),
        ("tickets", "linked", "AI-1"),
    ]

    change_item(api, responder, pm, item["id"], due_date="2026-03-20")
    tocsin.engine.run_until_idle()
    changed = _checked(sink.received("/tickets")[1], clock)
    assert changed["event"] == "action_item.changed"
    assert changed["changes"] == [{"field": "due_date", "before": None, "after": "2026-03-20"}]


def test_a_signed_status_finishes_the_item_and_is_not_sent_back(
    tocsin: Tocsin,
    api: TestClient,
    responder: Caller,
    clock: FakeClock,
    sink: HttpSink,
    pm: str,
) -> None:
    item = pushed(tocsin, api, responder, pm)
    publish(tocsin, api, responder, pm)
    url = EVENTS.format(name="tickets")
    body = {"key": "AI-1", "status": "done"}

    forged = api.post(url, **_signed(body, clock, "guessed"))
    assert forged.status_code == 401 and "X-Tocsin-Signature" in forged.json()["detail"]
    unsigned = api.post(url, json=body)
    assert unsigned.status_code == 401
    assert item_of(api, responder, pm, item["id"])["status"] == "open"

    answer = ok(api.post(url, **_signed(body, clock)))
    assert answer == {
        "applied": True,
        "action_item": "AI-1",
        "status": "done",
        "detail": "AI-1 is done",
    }
    assert ok(api.get(f"{API}/{pm}", headers=responder.headers))["status"] == "closed"
    tocsin.engine.run_until_idle()
    # The other tracker hears of it; the one it came from does not.
    assert len(sink.received("/tickets")) == 1
    (_, told) = sink.received("/elsewhere")
    assert _checked(told, clock)["changes"] == [
        {"field": "status", "before": "open", "after": "done"}
    ]


def test_unknown_keys_trackers_and_bad_bodies_are_refused_by_name(
    tocsin: Tocsin, api: TestClient, responder: Caller, clock: FakeClock, pm: str
) -> None:
    pushed(tocsin, api, responder, pm)
    url = EVENTS.format(name="tickets")
    unknown = api.post(url, **_signed({"key": "OPS-404", "status": "done"}, clock))
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == (
        "issue tracker 'tickets' has no issue 'OPS-404' linked to an action item"
    )
    wrong = api.post(url, **_signed({"key": "AI-1", "status": "finished"}, clock))
    assert wrong.status_code == 422 and "status" in wrong.text
    nameless = api.post(EVENTS.format(name="nowhere"), **_signed({"key": "AI-1"}, clock))
    assert (nameless.status_code, nameless.json()["detail"]) == (404, "no issue tracker 'nowhere'")
    polled = api.post(EVENTS.format(name="jira-ops"), **_signed({"key": "OPS-1"}, clock))
    assert polled.status_code == 409 and "it is polled" in polled.json()["detail"]
