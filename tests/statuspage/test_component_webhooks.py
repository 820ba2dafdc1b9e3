"""Component update webhooks: every public status change, told once to each interested webhook.

Receivers are real HTTP servers on 127.0.0.1 (``tests.support.sinks``); each
body is held to Statuspage's component update webhook (a strict schema in
``statuspage_v2``) and its signature is checked. The app runs without its
background engine: ``run_until_idle`` runs what a step queued.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Caller
from tests.statuspage.statuspage_v2 import check_component_update
from tests.statuspage.support import declare, ok, set_up
from tests.statuspage.test_subscribers import post_update, publish
from tests.statuspage.test_subscribers import smtp as smtp
from tests.statuspage.test_subscribers_webhooks import add, posts, run_for
from tests.statuspage.test_subscribers_webhooks import sink as sink
from tests.support.sinks import HttpSink, Request, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.engine import jobs as queue
from tocsin.kernel.clock import FakeClock
from tocsin.notify.tables import OutboxMessage
from tocsin.notify.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tocsin.statuspage import subscriber_jobs
from tocsin.statuspage.statuspage_api import component_id, stable_id
from tocsin.statuspage.subscriber_delivery import DISABLE_AFTER_FAILURES
from tocsin.statuspage.subscriber_jobs import DELIVER, Deliver
from tocsin.statuspage.tables import ComponentStatusChange, Delivery, Subscriber

API = "/api/v1/status-page"
AUTOMATIC = "  publish_automatically: [search]\n"
UPDATE = "component_update"


@pytest.fixture
def web(tocsin: Tocsin, tmp_path: Path) -> Iterator[TestClient]:
    """The app without its background engine; the search service publishes automatically."""
    set_up(tocsin, tmp_path / "config", AUTOMATIC)
    app = create_app(tocsin, start_engine=False)
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def set_status(client: TestClient, caller: Caller, component: str, status: str) -> None:
    ok(client.put(f"{API}/components/{component}", json={"status": status}, headers=caller.headers))


def told(sink: HttpSink, path: str) -> list[tuple[str, str, str]]:
    """The (component, old status, new status) of each component update ``path`` received."""
    found = []
    for request in posts(sink, path, UPDATE):
        payload = request.json()
        check_component_update(payload)
        change = payload[UPDATE]
        found.append((payload["component"]["name"], change["old_status"], change["new_status"]))
    return found


def signed_by(request: Request, secret: str, clock: FakeClock) -> bool:
    headers = request.headers
    return verify(
        secret, headers[TIMESTAMP_HEADER], request.body, headers[SIGNATURE_HEADER], clock.now()
    )


def test_confirming_a_proposal_tells_each_interested_webhook_once_in_statuspage_shape(
    tocsin: Tocsin,
    web: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    smtp: SmtpSink,
    clock: FakeClock,
) -> None:
    everything = add(web, admin, "webhook", sink.url("/all"))
    add(web, admin, "webhook", sink.url("/checkout"), components=["Checkout"])
    add(web, admin, "webhook", sink.url("/search"), components=["Search"])
    add(web, admin, "webhook", sink.url("/partners"), page="partners")
    add(web, admin, "slack", sink.url("/slack"))
    add(web, admin, "email", "reader@example.com", confirmed=True)
    declare(web, responder)
    listed = ok(web.get(f"{API}/components", headers=responder.headers))
    proposal = next(c for c in listed if c["name"] == "Checkout")["proposal"]
    assert proposal["status"] == "major_outage"

    set_status(web, responder, "Checkout", proposal["status"])
    tocsin.engine.run_until_idle()

    (request,) = posts(sink, "/all", UPDATE)
    assert signed_by(request, everything["secret"], clock)
    assert not signed_by(request, "whsec_wrong", clock)
    payload = request.json()
    check_component_update(payload)
    summary = ok(web.get("/api/v2/summary.json"))
    checkout = next(c for c in summary["components"] if c["name"] == "Checkout")
    assert payload["page"] == {
        "id": summary["page"]["id"],
        "status_indicator": summary["status"]["indicator"],
        "status_description": summary["status"]["description"],
    }
    assert payload["page"]["status_indicator"] == "critical"
    with tocsin.database.sessions() as session:
        change = session.scalars(select(ComponentStatusChange)).one()
    assert payload[UPDATE] == {
        "created_at": checkout["updated_at"],
        "new_status": "major_outage",
        "old_status": "operational",
        "id": stable_id("component_update", str(change.id)),
        "component_id": checkout["id"],
    }
    assert payload["component"] == {
        "created_at": checkout["created_at"],
        "id": checkout["id"],
        "name": "Checkout",
        "status": "major_outage",
    }
    assert payload["meta"]["documentation"].endswith("/status/subscribers/webhooks")
    assert "component_update" in web.get("/status/subscribers/webhooks").text
    assert request.headers[DELIVERY_HEADER].startswith("status.component.")
    assert told(sink, "/checkout") == [("Checkout", "operational", "major_outage")]
    assert sink.received("/search") == [] and sink.received("/partners") == []
    assert sink.received("/slack") == [] and smtp.emails == []

    # Nothing is told twice: the fan-out is keyed by change, and a delivery once sent is done.
    with tocsin.database.transaction() as session:
        change = session.scalars(select(ComponentStatusChange)).one()
        assert not subscriber_jobs.queue_component_fan_out(session, change, clock.now())
        for delivery in session.scalars(select(Delivery)):
            queue.enqueue(session, DELIVER, Deliver(delivery.id), now=clock.now())
    tocsin.engine.run_until_idle()
    set_status(web, responder, "Checkout", "major_outage")
    tocsin.engine.run_until_idle()
    assert len(sink.received("/all")) == 1 and len(sink.received("/checkout")) == 1

    set_status(web, responder, "Checkout", "operational")
    tocsin.engine.run_until_idle()
    assert told(sink, "/all") == [
        ("Checkout", "operational", "major_outage"),
        ("Checkout", "major_outage", "operational"),
    ]
    with tocsin.database.sessions() as session:
        gone = session.scalars(select(Subscriber.id).where(Subscriber.code == everything["id"]))
        (everything_id,) = gone.all()
    unsubscribe = payload["meta"]["unsubscribe"].split("://", 1)[1].split("/", 1)[1]
    assert web.post("/" + unsubscribe).status_code == 200
    with tocsin.database.sessions() as session:
        assert session.get(Subscriber, everything_id) is None
        left = session.scalars(select(Delivery).where(Delivery.subscriber_id == everything_id))
        assert left.all() == [], "unsubscribing forgets the component deliveries too"


def _history(tocsin: Tocsin) -> list[tuple[str, str, str, str]]:
    """Every public change as (its id, component, old status, new status), in order."""
    found: list[tuple[str, str, str, str]] = []
    last: dict[str, str] = {}
    with tocsin.database.sessions() as session:
        rows = session.scalars(select(ComponentStatusChange).order_by(ComponentStatusChange.id))
        for row in rows:
            old = last.get(row.component, "operational")
            found.append((stable_id(UPDATE, str(row.id)), row.component, old, row.status))
            last[row.component] = row.status
    return found


def _received(sink: HttpSink, path: str) -> list[tuple[str, str, str, str]]:
    found = []
    for request in posts(sink, path, UPDATE):
        payload = request.json()
        check_component_update(payload)
        change = payload[UPDATE]
        assert change["component_id"] == component_id(payload["component"]["name"])
        found.append(
            (change["id"], payload["component"]["name"], change["old_status"], change["new_status"])
        )
    return found


def test_every_way_a_status_changes_is_told_once(
    tocsin: Tocsin,
    web: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    smtp: SmtpSink,
    clock: FakeClock,
) -> None:
    add(web, admin, "webhook", sink.url("/all"))
    add(web, admin, "webhook", sink.url("/partners"), page="partners")
    add(web, admin, "email", "reader@example.com", confirmed=True)
    set_status(web, responder, "Search", "degraded_performance")
    public = publish(web, responder, {"Payments API": "partial_outage"}, notify=False)
    post_update(
        web,
        responder,
        public["id"],
        "identified",
        "Found.",
        components={"Checkout": "major_outage"},
    )
    post_update(web, responder, public["id"], "resolved", "Fixed.")
    start = clock.now() + timedelta(hours=1)
    ok(
        web.post(
            f"{API}/maintenances",
            json={
                "name": "Database upgrade",
                "body": "Checkout may be slow.",
                "components": ["Checkout"],
                "scheduled_for": start.isoformat(),
                "scheduled_until": (start + timedelta(hours=1)).isoformat(),
                "auto_transition": True,
            },
            headers=responder.headers,
        ),
        201,
    )
    run_for(tocsin, clock, 3)
    declare(web, responder, "SEV-2", ("search",))
    tocsin.engine.run_until_idle()

    history = _history(tocsin)
    assert [(name, old, new) for _, name, old, new in history] == [
        ("Search", "operational", "degraded_performance"),
        ("Payments API", "operational", "partial_outage"),
        ("Checkout", "operational", "major_outage"),
        ("Payments API", "partial_outage", "operational"),
        ("Checkout", "major_outage", "operational"),
        ("Checkout", "operational", "under_maintenance"),
        ("Checkout", "under_maintenance", "operational"),
        ("Search", "degraded_performance", "partial_outage"),
    ], "a setting, an update's components, a resolution, maintenance, automatic publishing"
    assert sorted(_received(sink, "/all")) == sorted(history)
    deliveries = [request.headers[DELIVERY_HEADER] for request in sink.received("/all")]
    assert len(deliveries) == len(set(deliveries))
    assert _received(sink, "/partners") == [row for row in history if row[1] == "Payments API"]
    with tocsin.database.sessions() as session:
        kinds = session.execute(
            select(Subscriber.channel, Delivery.component_change_id).join(Subscriber)
        ).all()
    assert {channel for channel, change in kinds if change is not None} == {"webhook"}


def test_a_failing_receiver_is_retried_and_counted_toward_disabling(
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
    set_status(web, responder, "Search", "major_outage")
    run_for(tocsin, clock, 12)
    with tocsin.database.sessions() as session:
        row = session.scalars(select(Subscriber).where(Subscriber.code == down["id"])).one()
        delivery = session.scalars(select(Delivery).where(Delivery.subscriber_id == row.id)).one()
    assert (delivery.state, delivery.attempts) == ("failed", DISABLE_AFTER_FAILURES)
    assert delivery.component_change_id is not None and "503" in (delivery.last_error or "")
    assert row.failures == DISABLE_AFTER_FAILURES and row.disabled_at is None
    assert len(sink.received("/up")) == 1

    clock.advance(timedelta(days=1))
    set_status(web, responder, "Search", "operational")
    run_for(tocsin, clock, 1)
    with tocsin.database.sessions() as session:
        row = session.scalars(select(Subscriber).where(Subscriber.code == down["id"])).one()
    assert row.disabled_at is not None and "in a row failed" in (row.disabled_reason or "")
    (notice,) = smtp.to("owner@example.com")
    assert "disabled" in notice.subject

    set_status(web, responder, "Search", "partial_outage")
    run_for(tocsin, clock, 1)
    with tocsin.database.sessions() as session:
        count = len(session.scalars(select(Delivery).where(Delivery.subscriber_id == row.id)).all())
    assert count == 2, "a disabled subscriber is told no more changes"
    assert len(sink.received("/up")) == 3


def test_outbox_mode_records_component_updates_without_link_secrets(
    tocsin: Tocsin,
    web: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    smtp: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOCSIN_DELIVERY", "outbox")
    add(web, admin, "webhook", sink.url("/hook"))
    set_status(web, responder, "Checkout", "degraded_performance")
    tocsin.engine.run_until_idle()
    assert sink.received() == []
    with tocsin.database.sessions() as session:
        (recorded,) = session.scalars(select(OutboxMessage)).all()
    assert recorded.subject == "Checkout: Degraded performance"
    assert recorded.idempotency_key.startswith("status.component.")
    body = json.loads(recorded.body)
    assert set(body) == {"meta", "page", UPDATE, "component"}
    assert body[UPDATE]["new_status"] == "degraded_performance"
    assert body["meta"]["unsubscribe"].endswith("[token hidden]")


def test_a_subscribers_deliveries_list_updates_and_component_changes_newest_first(
    tocsin: Tocsin,
    web: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    smtp: SmtpSink,
) -> None:
    hook = add(web, admin, "webhook", sink.url("/hook"))
    public = publish(web, responder, {"Checkout": "major_outage"})
    post_update(web, responder, public["id"], "resolved", "Fixed.")
    tocsin.engine.run_until_idle()
    path = f"{API}/subscribers/{hook['id']}/deliveries"

    listed = ok(web.get(path, headers=admin.headers))
    assert (listed["subscriber"], listed["channel"]) == (hook["id"], "webhook")
    with tocsin.database.sessions() as session:
        stored = session.scalars(select(Delivery).order_by(Delivery.id.desc())).all()
    kinds = ["incident_update" if row.update_id else UPDATE for row in stored]
    assert [item["kind"] for item in listed["deliveries"]] == kinds, "newest first"
    assert sorted(kinds) == ["component_update", "component_update"] + ["incident_update"] * 2
    changes = [item[UPDATE] for item in listed["deliveries"] if item["kind"] == UPDATE]
    assert [(c["component"], c["old_status"], c["new_status"]) for c in changes] == [
        ("Checkout", "major_outage", "operational"),
        ("Checkout", "operational", "major_outage"),
    ]
    updates = [item["update"] for item in listed["deliveries"] if item["update"]]
    shown = ok(web.get(f"{API}/incidents/{public['id']}", headers=responder.headers))
    assert [u["id"] for u in updates] == [u["id"] for u in shown["updates"]]
    assert {(u["incident_id"], u["incident_name"]) for u in updates} == {
        (public["id"], "Checkout errors")
    }
    for item in listed["deliveries"]:
        assert (item["state"], item["attempts"]) == ("sent", 1)
        assert (item["update"] is None) != (item[UPDATE] is None)

    first = ok(web.get(path, params={"limit": 3}, headers=admin.headers))
    rest = ok(web.get(path, params={"cursor": first["next_cursor"]}, headers=admin.headers))
    assert first["deliveries"] + rest["deliveries"] == listed["deliveries"]
    assert rest["next_cursor"] is None

    first_update = shown["updates"][-1]["id"]
    told = ok(web.get(f"{API}/updates/{first_update}/deliveries", headers=admin.headers))
    assert told["counts"] == {"sent": 1} and len(told["deliveries"]) == 1

    assert web.get(path, headers=responder.headers).status_code == 403
    assert web.get(path).status_code == 401
    missing = web.get(f"{API}/subscribers/nosuchone/deliveries", headers=admin.headers)
    assert missing.status_code == 404 and "nosuchone" in missing.json()["detail"]
    bad = web.get(path, params={"cursor": "not-a-cursor"}, headers=admin.headers)
    assert bad.status_code == 422
    documented = ok(web.get("/openapi.json"))["paths"][f"{API}/subscribers/{{code}}/deliveries"]
    assert {"401", "403", "404", "422"} <= set(documented["get"]["responses"])


def test_a_backfilled_incident_changes_no_current_status_and_tells_nobody(
    tocsin: Tocsin,
    web: TestClient,
    admin: Caller,
    responder: Caller,
    sink: HttpSink,
    clock: FakeClock,
) -> None:
    add(web, admin, "webhook", sink.url("/all"))
    set_status(web, responder, "Checkout", "degraded_performance")
    tocsin.engine.run_until_idle()
    before = _history(tocsin)
    received = len(sink.received("/all"))
    started = clock.now() - timedelta(days=2)
    backfilled = ok(
        web.post(
            f"{API}/incidents",
            json={
                "name": "Slow checkouts",
                "impact": "major",
                "started_at": started.isoformat(),
                "updates": [
                    {
                        "status": "investigating",
                        "body": "Checkouts were failing.",
                        "display_at": started.isoformat(),
                        "components": {"Checkout": "major_outage"},
                    },
                    {
                        "status": "resolved",
                        "body": "A bad deploy, rolled back.",
                        "display_at": (started + timedelta(minutes=40)).isoformat(),
                    },
                ],
            },
            headers=responder.headers,
        ),
        201,
    )
    tocsin.engine.run_until_idle()
    assert _history(tocsin) == before, "no current status changed"
    assert len(sink.received("/all")) == received, "nobody is told about the past"
    statuses = ok(web.get(f"{API}/components", headers=responder.headers))
    assert {row["name"]: row["status"] for row in statuses}["Checkout"] == "degraded_performance"
    told = [
        [
            (item["name"], item["old_status"], item["new_status"])
            for item in update["affected_components"]
        ]
        for update in sorted(backfilled["updates"], key=lambda update: update["display_at"])
    ]
    assert told == [
        [("Checkout", "operational", "major_outage")],
        [("Checkout", "major_outage", "operational")],
    ]
