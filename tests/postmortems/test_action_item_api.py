"""Action items created directly, listed with filters a page at a time, changed, refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import configure
from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    PEOPLE,
    caller_for,
    declare,
    ok,
    postmortem_of,
    resolved_incident,
    serving,
    timeline_texts,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

ITEMS = "/api/v1/action-items"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def api(tocsin: Tocsin, clock: FakeClock, tmp_path: Path) -> Iterator[TestClient]:
    clock.set(MONDAY)
    files = {"org.yaml": PEOPLE, "platform.yaml": "teams:\n  platform:\n    members: [dan]\n"}
    configure(tocsin, tmp_path / "config", files)
    with serving(tocsin) as c:
        yield c


def create(api: TestClient, caller: Caller, **body: Any) -> Any:
    return api.post(
        ITEMS, json={"description": "Alert on pool saturation", **body}, headers=caller.headers
    )


def refs(response: Any) -> list[str]:
    return [item["reference"] for item in ok(response)]


def refused(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    location: list[Any] = response.json()["detail"][0]["loc"]
    return location


def test_an_item_of_its_own_for_a_team_has_its_history(
    api: TestClient, admin: Caller, responder: Caller
) -> None:
    item = ok(create(api, responder, team="payments", owner="carol", due_date="2026-03-20"), 201)
    assert (item["postmortem"], item["incident"], item["team"]) == (None, None, "payments")
    assert (item["status"], item["created_by"], item["overdue"]) == ("open", "rex", False)
    number = item["id"]
    assert ok(api.get(f"{ITEMS}/AI-{number}", headers=admin.headers)) == item
    assert ok(api.get(f"{ITEMS}/{number}", headers=admin.headers)) == item
    changed = ok(
        api.patch(
            f"{ITEMS}/ai-{number}",
            json={"status": "wont_do", "reason": "The pool is being replaced"},
            headers=responder.headers,
        )
    )
    assert (changed["status"], changed["reason"]) == ("wont_do", "The pool is being replaced")
    history = ok(api.get(f"{ITEMS}/AI-{number}/history", headers=admin.headers))
    assert [(h["action"], h["author"]) for h in history] == [
        ("action_item_added", "rex"),
        ("action_item_changed", "rex"),
    ]
    assert history[1]["said"] == (
        f"AI-{number} changed: status open → wont_do; reason None → The pool is being replaced"
    )
    assert history[1]["comment"] == "The pool is being replaced"
    assert {c["field"] for c in history[1]["changes"]} == {
        f"action_items.AI-{number}.status",
        f"action_items.AI-{number}.reason",
    }


def test_an_item_of_an_incident_is_told_on_its_timeline_and_takes_its_team(
    api: TestClient, admin: Caller
) -> None:
    incident = declare(api, admin, "SEV-3")
    item = ok(create(api, admin, incident=incident.lower(), type="detect"), 201)
    assert (item["incident"], item["postmortem"], item["team"]) == (incident, None, "payments")
    ok(api.patch(f"{ITEMS}/{item['reference']}", json={"status": "done"}, headers=admin.headers))
    texts = timeline_texts(api, admin, incident)
    ref = item["reference"]
    assert f"Action item {ref} (P2, detect): Alert on pool saturation added" in texts
    assert f"Action item {ref} changed: status open → done" in texts


def test_an_item_of_a_postmortem_is_a_version_of_it(
    tocsin: Tocsin, api: TestClient, admin: Caller
) -> None:
    incident = resolved_incident(api, tocsin, admin)
    pm = postmortem_of(api, admin, incident)
    item = ok(create(api, admin, postmortem=pm["reference"], incident=incident), 201)
    assert (item["postmortem"], item["incident"]) == (pm["reference"], incident)
    again = postmortem_of(api, admin, incident)
    assert again["version"] == pm["version"] + 1
    assert [i["reference"] for i in again["action_items"]] == [item["reference"]]
    versions = ok(api.get(f"{API}/{pm['reference']}/versions", headers=admin.headers))
    assert versions[-1]["action"] == "action_item_added"
    other = declare(api, admin, "SEV-3")
    mismatch = create(api, admin, postmortem=pm["reference"], incident=other)
    assert refused(mismatch) == ["body", "incident"]


def test_the_list_filters_and_pages_with_a_link_header(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    incident = declare(api, admin, "SEV-3")
    late = ok(create(api, admin, owner="carol", due_date="2026-02-27", team="payments"), 201)
    soon = ok(create(api, admin, owner="dan", due_date="2026-03-05", incident=incident), 201)
    done = ok(create(api, admin, owner="carol", due_date="2026-02-20", team="platform"), 201)
    ok(api.patch(f"{ITEMS}/{done['reference']}", json={"status": "done"}, headers=admin.headers))
    busy = ok(create(api, admin, team="platform"), 201)
    ok(
        api.patch(
            f"{ITEMS}/{busy['reference']}", json={"status": "in_progress"}, headers=admin.headers
        )
    )
    everything = [busy, done, soon, late]
    viewer = caller_for(tocsin, "dan")

    def listed(**params: Any) -> list[str]:
        return refs(api.get(ITEMS, params=params, headers=viewer.headers))

    assert listed() == [item["reference"] for item in everything]
    assert listed(owner="carol") == [done["reference"], late["reference"]]
    assert listed(team="platform") == [busy["reference"], done["reference"]]
    assert listed(status=["open", "in_progress"]) == [
        busy["reference"],
        soon["reference"],
        late["reference"],
    ]
    assert listed(overdue="true") == [late["reference"]]
    assert listed(incident=incident) == [soon["reference"]]
    assert listed(owner="carol", overdue="true") == [late["reference"]]

    first = api.get(ITEMS, params={"limit": 3}, headers=viewer.headers)
    assert refs(first) == [item["reference"] for item in everything[:3]]
    link = first.headers["Link"]
    assert link.startswith(f"<{ITEMS}?limit=3&cursor=") and link.endswith('>; rel="next"')
    second = api.get(link[1 : link.index(">")], headers=viewer.headers)
    assert refs(second) == [late["reference"]] and "Link" not in second.headers


def test_refusals_name_the_field_and_change_nothing(
    api: TestClient, admin: Caller, viewer: Caller
) -> None:
    assert create(api, viewer).status_code == 403
    assert refused(create(api, admin, owner="nobody")) == ["body", "owner"]
    assert refused(create(api, admin, team="nobody")) == ["body", "team"]
    assert refused(create(api, admin, incident="INC-999")) == ["body", "incident"]
    assert refused(create(api, admin, postmortem="PM-999")) == ["body", "postmortem"]
    assert refused(create(api, admin, priority="P7")) == ["body", "priority"]
    assert refused(create(api, admin, description="   ")) == ["body", "description"]
    assert refused(api.get(ITEMS, params={"status": "later"}, headers=admin.headers)) == [
        "query",
        "status",
        0,
    ]
    assert refused(api.get(ITEMS, params={"cursor": "nonsense"}, headers=admin.headers)) == [
        "query",
        "cursor",
    ]
    assert refused(api.get(ITEMS, params={"incident": "twelve"}, headers=admin.headers)) == [
        "query",
        "incident",
    ]
    assert ok(api.get(ITEMS, headers=admin.headers)) == []
    assert api.get(f"{ITEMS}/AI-999", headers=admin.headers).status_code == 404
    assert api.get(f"{ITEMS}/PM-3", headers=admin.headers).status_code == 404
    item = ok(create(api, admin), 201)
    path = f"{ITEMS}/{item['reference']}"
    assert api.patch(path, json={"status": "done"}, headers=viewer.headers).status_code == 403
    assert refused(api.patch(path, json={"status": "wont_do"}, headers=admin.headers)) == [
        "body",
        "reason",
    ]
    for name in ("description", "priority", "type", "status"):
        cleared = api.patch(path, json={name: None, "due_date": None}, headers=admin.headers)
        assert refused(cleared) == ["body", name]
    assert ok(api.get(path, headers=viewer.headers))["status"] == "open"
    assert len(ok(api.get(f"{path}/history", headers=viewer.headers))) == 1
