"""The console's action item pages: created, filtered, changed through forms, refused by field."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.console.test_viewer import _log_in
from tests.postmortems.support import declare, set_up
from tocsin.app.service import Tocsin

SEE_OTHER = 303


def test_items_are_created_filtered_changed_and_refused_in_the_console(
    tocsin: Tocsin, client: TestClient, admin: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path / "config")
    incident = declare(client, admin, "SEV-3")
    token = _log_in(tocsin, client, "cora", "responder")
    form = {
        "csrf_token": token,
        "description": "Alert on pool saturation",
        "owner": "cora",
        "priority": "P1",
        "type": "detect",
        "due_date": "2000-01-03",
        "team": "",
        "incident": incident,
    }
    made = client.post("/action-items", data=form, follow_redirects=False)
    assert made.status_code == SEE_OTHER and made.headers["location"] == "/action-items/AI-1"
    shown = client.get("/action-items/AI-1").text
    assert "payments" in shown and "overdue" in shown and "AI-1 (P1, detect)" in shown
    assert f'href="/incidents/{incident}"' in shown
    timeline = client.get(f"/incidents/{incident}").text
    assert "Action item AI-1" in timeline

    plain = dict(form, description="Rotate the handbook", due_date="", incident="", owner="")
    plain["team"] = "payments"
    assert client.post("/action-items", data=plain, follow_redirects=False).status_code == 303
    assert "2 action items" in client.get("/action-items").text
    overdue = client.get("/action-items?overdue=true").text
    assert "1 action item" in overdue and "Alert on pool saturation" in overdue
    mine = client.get("/action-items?mine=true&status=open").text
    assert "1 action item" in mine and "Alert on pool saturation" in mine

    bad_day = client.post("/action-items", data=dict(form, due_date="soon"))
    assert bad_day.status_code == 422 and "due_date" in bad_day.text
    unknown = client.post("/action-items", data=dict(form, incident="INC-999"))
    assert unknown.status_code == 422 and "no incident" in unknown.text
    assert client.get("/action-items/AI-99").status_code == 404

    change = {
        "csrf_token": token,
        "description": "Alert on pool saturation",
        "status": "wont_do",
        "reason": "",
        "owner": "cora",
        "priority": "P1",
        "type": "detect",
        "due_date": "2000-01-03",
        "team": "payments",
    }
    refused = client.post("/action-items/AI-1", data=change)
    assert refused.status_code == 422 and "reason" in refused.text
    change.update(status="done")
    moved = client.post("/action-items/AI-1", data=change, follow_redirects=False)
    assert moved.status_code == SEE_OTHER and moved.headers["location"] == "/action-items/AI-1"
    history = client.get("/action-items/AI-1").text
    assert "AI-1 changed: status open → done" in history
    assert "None with these filters" in client.get("/action-items?overdue=true").text
