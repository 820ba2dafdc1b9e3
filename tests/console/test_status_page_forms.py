"""The console's status page forms without a browser: each posts as a plain form (no script)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import Caller, make_caller
from tests.console.test_viewer import _log_in
from tests.statuspage.support import declare, ok, publish, set_up
from tocsin.app.service import Tocsin
from tocsin.auth.tables import User
from tocsin.console.status_page import TOPIC
from tocsin.statuspage.tables import PublicIncident

SEE_OTHER = 303


def _status_of(client: TestClient, name: str) -> str:
    summary = ok(client.get("/api/v2/summary.json"))
    return next(str(c["status"]) for c in summary["components"] if c["name"] == name)


def _selected(html: str, select_id: str) -> str | None:
    """The value of the selected option of the select with ``select_id``."""
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found is not None, select_id
    chosen = re.search(r'<option value="([^"]*)" selected>', found.group(1))
    return chosen.group(1) if chosen else None


def _publish(client: TestClient, token: str, reference: str, **fields: object) -> str:
    """Publish through the form; the public incident's code."""
    form: dict[str, object] = {
        "csrf_token": token,
        "name": "Checkout errors",
        "impact": "critical",
        "status": "investigating",
        "body": "We are investigating failed payments.",
        "component": ["Checkout", "Payments API", "Search", "Admin"],
        "component_status": ["major_outage", "", "", ""],
        "notify": "true",
    }
    form.update(fields)
    answer = client.post(f"/incidents/{reference}/publish", data=form, follow_redirects=False)
    assert answer.status_code == SEE_OTHER, answer.text
    location = answer.headers["location"]
    assert location.startswith("/status-page/incidents/")
    return location.rsplit("/", 1)[1]


def test_a_proposal_is_shown_with_its_reason_and_confirmed_in_one_post(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    token = _log_in(tocsin, client, "cora", "responder")
    before = _version(tocsin)
    reference = declare(client, responder)
    assert _version(tocsin) != before
    overview = client.get("/status-page")
    assert overview.status_code == 200
    assert "INC-1 (SEV-1) on checkout" in overview.text
    assert 'href="/incidents/INC-1"' in overview.text
    assert overview.text.count(">Confirm<") == 2  # Checkout and Payments API
    assert _status_of(client, "Checkout") == "operational"

    confirmed = client.post(
        "/status-page/components",
        data={"csrf_token": token, "component": "Checkout", "status": "major_outage"},
        follow_redirects=False,
    )
    assert confirmed.status_code == SEE_OTHER
    assert confirmed.headers["location"] == "/status-page#components"
    assert _status_of(client, "Checkout") == "major_outage"
    assert client.get("/status-page").text.count(">Confirm<") == 1
    assert reference == "INC-1"


def _version(tocsin: Tocsin) -> object:
    with tocsin.database.sessions() as session:
        return TOPIC.version(session)


def test_setting_an_unknown_status_or_component_is_refused_as_a_page(
    tocsin: Tocsin, client: TestClient, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    token = _log_in(tocsin, client, "cora", "responder")
    bad = client.post(
        "/status-page/components",
        data={"csrf_token": token, "component": "Checkout", "status": "on_fire"},
    )
    assert bad.status_code == 422
    assert "status: expected one of operational" in bad.text
    assert "Nothing was changed" in bad.text
    unknown = client.post(
        "/status-page/components",
        data={"csrf_token": token, "component": "Teleporter", "status": "major_outage"},
    )
    assert unknown.status_code == 404
    assert "no status page component named &#39;Teleporter&#39;" in unknown.text


def test_the_publish_form_starts_from_the_proposals_and_publishes(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    token = _log_in(tocsin, client, "cora", "responder")
    reference = declare(client, responder)
    form = client.get(f"/incidents/{reference}/publish")
    assert form.status_code == 200
    assert _selected(form.text, "p-impact") == "critical"
    assert _selected(form.text, "p-component-1") == "major_outage"  # Checkout
    assert _selected(form.text, "p-component-2") == "major_outage"  # Payments API
    assert _selected(form.text, "p-component-3") == ""  # Search: no proposal

    code = _publish(client, token, reference)
    assert _status_of(client, "Checkout") == "major_outage"
    assert _status_of(client, "Payments API") == "operational"
    public = client.get("/status")
    assert (
        "Checkout errors" in public.text and "We are investigating failed payments." in public.text
    )
    page = client.get(f"/status-page/incidents/{code}")
    assert "Checkout errors" in page.text and "subscribers notified" in page.text
    assert "Checkout: operational → major outage" in page.text
    again = client.get(f"/incidents/{reference}/publish", follow_redirects=False)
    assert again.status_code == SEE_OTHER
    assert again.headers["location"] == f"/status-page/incidents/{code}"
    timeline = ok(client.get(f"/api/v1/incidents/{reference}/timeline", headers=responder.headers))
    assert any(
        entry["text"] == "Public update (investigating): We are investigating failed payments."
        and entry["author"] == "cora"
        for entry in timeline
    )
    overview = client.get("/status-page")
    assert f'href="/status-page/incidents/{code}"' in overview.text


def test_a_refused_publication_keeps_what_was_typed_and_says_why(
    tocsin: Tocsin, client: TestClient, responder: Caller, admin: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    token = _log_in(tocsin, client, "cora", "responder")
    reference = declare(client, responder)
    ok(
        client.post(
            f"/api/v1/incidents/{reference}/roles",
            json={"role": "communications_lead", "user": admin.name},
            headers=admin.headers,
        )
    )
    answer = client.post(
        f"/incidents/{reference}/publish",
        data={
            "csrf_token": token,
            "name": "Slow checkout",
            "impact": "major",
            "status": "identified",
            "body": "A typed sentence worth keeping.",
            "component": ["Checkout", "Payments API", "Search", "Admin"],
            "component_status": ["", "", "degraded_performance", ""],
        },
    )
    assert answer.status_code == 403
    assert "Not published" in answer.text and "Communications Lead (ada)" in answer.text
    assert "A typed sentence worth keeping." in answer.text
    assert 'value="Slow checkout"' in answer.text
    assert _selected(answer.text, "p-impact") == "major"
    assert _selected(answer.text, "p-status") == "identified"
    assert _selected(answer.text, "p-component-3") == "degraded_performance"
    assert "Notify subscribers" in answer.text
    assert 'name="notify" value="true" checked' not in answer.text
    with tocsin.database.sessions() as session:
        assert session.scalar(select(PublicIncident.id)) is None


def test_posting_an_update_and_a_refused_one(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    token = _log_in(tocsin, client, "cora", "responder")
    code = _publish(client, token, declare(client, responder))
    empty = client.post(
        f"/status-page/incidents/{code}/updates",
        data={
            "csrf_token": token,
            "status": "identified",
            "body": "   ",
            "component": ["Checkout", "Payments API", "Search", "Admin"],
            "component_status": ["partial_outage", "", "", ""],
        },
    )
    assert empty.status_code == 422
    assert "Not posted" in empty.text and "body" in empty.text
    assert _selected(empty.text, "u-status") == "identified"
    assert _selected(empty.text, "u-affected-1") == "partial_outage"

    posted = client.post(
        f"/status-page/incidents/{code}/updates",
        data={
            "csrf_token": token,
            "status": "resolved",
            "body": "Payments work again.",
            "component": ["Checkout", "Payments API", "Search", "Admin"],
            "component_status": ["", "", "", ""],
            "notify": "true",
        },
        follow_redirects=False,
    )
    assert posted.status_code == SEE_OTHER
    assert _status_of(client, "Checkout") == "operational"
    page = client.get(f"/status-page/incidents/{code}")
    assert "Payments work again." in page.text
    assert "Checkout: major outage → operational" in page.text
    assert "Payments work again." in client.get("/status").text
    overview = client.get("/status-page")
    finished = overview.text.split('id="past-stories"', 1)[1]
    assert f'href="/status-page/incidents/{code}"' in finished


def test_a_maintenance_is_scheduled_in_the_viewers_zone(
    tocsin: Tocsin, client: TestClient, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    token = _log_in(tocsin, client, "cora", "responder")
    with tocsin.database.transaction() as session:
        session.execute(update(User).where(User.name == "cora").values(time_zone="Europe/Paris"))
    form = client.get("/status-page/maintenance/new")
    assert form.status_code == 200 and "Starts (Europe/Paris)" in form.text
    # The clock says 2026-01-05 09:00 UTC: the form starts a day later, in Paris time.
    assert 'name="starts" required value="2026-01-06T10:00"' in form.text
    answer = client.post(
        "/status-page/maintenance/new",
        data={
            "csrf_token": token,
            "name": "Database upgrade",
            "body": "Checkout may be slow.",
            "components": ["Checkout", "Search"],
            "starts": "2026-01-10T22:00",
            "ends": "2026-01-11T01:30",
            "auto_transition": "true",
        },
        follow_redirects=False,
    )
    assert answer.status_code == SEE_OTHER, answer.text
    with tocsin.database.sessions() as session:
        public = session.scalars(select(PublicIncident)).one()
        assert public.kind == "maintenance" and public.status == "scheduled"
        assert public.scheduled_for == datetime(2026, 1, 10, 21, 0, tzinfo=UTC)
        assert public.scheduled_until == datetime(2026, 1, 11, 0, 30, tzinfo=UTC)
        assert public.components == ["Checkout", "Search"]
        assert public.auto_transition
    page = client.get(answer.headers["location"])
    assert "not notified" in page.text and "starts and completes on its own" in page.text
    assert 'value="in_progress" selected' in page.text
    assert "Database upgrade" in client.get("/status").text


def test_a_maintenance_ending_before_it_starts_comes_back_with_the_reason(
    tocsin: Tocsin, client: TestClient, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    token = _log_in(tocsin, client, "cora", "responder")
    answer = client.post(
        "/status-page/maintenance/new",
        data={
            "csrf_token": token,
            "name": "Backwards",
            "body": "Time runs the other way.",
            "components": ["Search"],
            "starts": "2026-01-10T22:00",
            "ends": "2026-01-10T21:00",
        },
    )
    assert answer.status_code == 422
    assert "Not scheduled" in answer.text and "scheduled_until" in answer.text
    assert 'value="Backwards"' in answer.text
    assert 'name="components" value="Search" checked' in answer.text
    nonsense = client.post(
        "/status-page/maintenance/new",
        data={"csrf_token": token, "name": "x", "body": "y", "components": ["Search"]},
    )
    assert nonsense.status_code == 422 and "starts: must be a date and time" in nonsense.text


def test_a_viewer_reads_but_is_offered_no_form(
    tocsin: Tocsin, client: TestClient, responder: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path)
    writer = make_caller(tocsin, "wes", "responder")
    reference = declare(client, responder)
    code = publish(
        client, writer, reference, {"name": "Checkout errors", "body": "Looking into it."}
    )["id"]
    _log_in(tocsin, client, "vic", "viewer")
    overview = client.get("/status-page")
    assert overview.status_code == 200
    assert "INC-1 (SEV-1) on checkout" in overview.text
    assert ">Confirm<" not in overview.text and "Schedule a maintenance" not in overview.text
    page = client.get(f"/status-page/incidents/{code}")
    assert page.status_code == 200 and "Looking into it." in page.text
    assert "Post update" not in page.text
    for path in (f"/incidents/{reference}/publish", "/status-page/maintenance/new"):
        refused = client.get(path)
        assert refused.status_code == 403 and "needs the responder role" in refused.text
    assert client.get("/status-page/incidents/nosuchcode").status_code == 404
    assert client.get("/status-page/state").status_code == 200
