"""The console's subscribers page and an update's deliveries: admins only, plain forms."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.conftest import Caller
from tests.console.test_viewer import _log_in
from tests.statuspage.support import declare, ok, publish, set_up, settle
from tests.support.sinks import http_sink
from tocsin.app.service import Tocsin
from tocsin.statuspage.tables import Subscriber

SEE_OTHER = 303


def _subscribe(client: TestClient, admin: Caller, address: str, **fields: object) -> str:
    created = ok(
        client.post(
            "/api/v1/status-page/subscribers",
            json={"channel": "email", "address": address, "confirmed": True, **fields},
            headers=admin.headers,
        ),
        201,
    )
    code: str = created["id"]
    return code


def test_admins_list_remove_and_enable_subscribers_and_see_deliveries(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    kept = _subscribe(client, admin, "kept@example.com")
    gone = _subscribe(client, admin, "gone@example.com", components=["Search"])
    with tocsin.database.transaction() as session:
        session.execute(
            update(Subscriber)
            .where(Subscriber.code == kept)
            .values(disabled_at=tocsin.clock.now(), disabled_reason="10 failures", failures=10)
        )
    token = _log_in(tocsin, client, "ada2", "admin")
    listed = client.get("/status-page/subscribers")
    assert listed.status_code == 200
    assert "kept@example.com" in listed.text and "gone@example.com" in listed.text
    assert "10 failures" in listed.text

    answer = client.post(
        f"/status-page/subscribers/{gone}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (
        SEE_OTHER,
        "/status-page/subscribers",
    )
    answer = client.post(
        f"/status-page/subscribers/{kept}/enable",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == SEE_OTHER
    after = client.get("/status-page/subscribers").text
    assert "gone@example.com" not in after and "10 failures" not in after

    reference = declare(client, responder)
    public = publish(
        client, responder, reference, {"name": "Checkout errors", "body": "Investigating."}
    )
    settle(tocsin)
    story = client.get(f"/status-page/incidents/{public['id']}").text
    assert "subscribers notified:" in story and "deliveries</a>" in story
    code = public["updates"][0]["id"]
    deliveries = client.get(f"/status-page/updates/{code}/deliveries")
    assert deliveries.status_code == 200 and "Checkout errors" in deliveries.text
    assert f"email {kept}" in deliveries.text


def test_responders_and_viewers_cannot_see_subscribers(
    tocsin: Tocsin, client: TestClient, admin: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    code = _subscribe(client, admin, "private@example.com")
    token = _log_in(tocsin, client, "rita", "responder")
    assert client.get("/status-page/subscribers").status_code == 403
    answer = client.post(f"/status-page/subscribers/{code}/remove", data={"csrf_token": token})
    assert answer.status_code == 403
    assert "private@example.com" not in client.get("/status-page").text


def test_a_subscribers_page_lists_what_it_was_told_updates_and_component_changes(
    tocsin: Tocsin, client: TestClient, admin: Caller, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    with http_sink() as sink:
        hook = ok(
            client.post(
                "/api/v1/status-page/subscribers",
                json={"channel": "webhook", "address": sink.url("/hook")},
                headers=admin.headers,
            ),
            201,
        )["id"]
        ok(
            client.put(
                "/api/v1/status-page/components/Checkout",
                json={"status": "major_outage"},
                headers=responder.headers,
            )
        )
        reference = declare(client, responder)
        publish(client, responder, reference, {"name": "Checkout errors", "body": "Looking."})
        settle(tocsin)
    _log_in(tocsin, client, "ada2", "admin")
    listed = client.get("/status-page/subscribers").text
    assert f'href="/status-page/subscribers/{hook}/deliveries"' in listed
    page = client.get(f"/status-page/subscribers/{hook}/deliveries")
    assert page.status_code == 200
    assert "Component Checkout: Operational → Major outage" in page.text
    assert "Update (Investigating) of" in page.text and "Checkout errors" in page.text
    assert page.text.index("Update (Investigating)") < page.text.index("Component Checkout")
    assert client.get("/status-page/subscribers/nosuchone/deliveries").status_code == 404

    _log_in(tocsin, client, "rita", "responder")
    assert client.get(f"/status-page/subscribers/{hook}/deliveries").status_code == 403
