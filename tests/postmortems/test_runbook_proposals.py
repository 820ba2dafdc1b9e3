"""Drafting a postmortem proposes "update the runbook" for each runbook link the alerts carried."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import alerts
from tests.conftest import Caller
from tests.paging.test_subjects import integration, setup
from tests.postmortems.support import API, move, ok, postmortem_of, serving
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin

SEV2 = """
auto_incident_rules:
  database:
    matchers: ['component="db"']
    incident_severity: SEV-2
"""
GUIDE = "https://wiki.example.com/runbooks/db-pool"
FAILOVER = "https://wiki.example.com/runbooks/db-failover"


@pytest.fixture
def api(tocsin: Tocsin, smtp: SmtpSink, sink: HttpSink, tmp_path: Path) -> Iterator[TestClient]:
    setup(tocsin, sink, tmp_path / "config", **{"rules.yaml": SEV2})
    with serving(tocsin) as c:
        yield c


def trigger(api: TestClient, key: str, dedup: str, runbook: str | None) -> None:
    """A PagerDuty Events API v2 trigger; the runbook rides in ``custom_details``."""
    payload: dict[str, Any] = {
        "summary": f"{dedup} broke",
        "source": "host",
        "severity": "critical",
        "component": "db",
    }
    if runbook is not None:
        payload["custom_details"] = {"runbook_url": runbook}
    event = {"routing_key": key, "event_action": "trigger", "dedup_key": dedup, "payload": payload}
    answer = api.post("/v2/enqueue", json=event)
    assert answer.status_code == 202, answer.text


def test_one_proposal_per_distinct_runbook_link_owned_by_the_postmortem_owner(
    tocsin: Tocsin, api: TestClient, admin: Caller
) -> None:
    key = integration(api, admin, "web")
    trigger(api, key, "db-1", GUIDE)
    tocsin.engine.run_until_idle()
    (group,) = api.get("/api/v1/alert-groups", headers=admin.headers).json()["items"]
    detail = ok(api.get(f"/api/v1/alert-groups/{group['id']}", headers=admin.headers))
    reference = f"INC-{detail['incident_id']}"
    for dedup, runbook in (("db-2", GUIDE), ("db-3", FAILOVER), ("db-4", None)):
        trigger(api, key, dedup, runbook)
    tocsin.engine.run_until_idle()
    assert [alert.incident_id for alert in alerts(tocsin)] == [detail["incident_id"]] * 4
    ok(
        api.post(
            f"/api/v1/incidents/{reference}/roles",
            json={"role": "incident_commander", "user": admin.name},
            headers=admin.headers,
        )
    )
    move(api, admin, reference, "responding")
    move(api, admin, reference, "resolved")
    tocsin.engine.run_until_idle()

    postmortem = postmortem_of(api, admin, reference)
    proposals = postmortem["action_items"]
    assert [item["description"] for item in proposals] == [
        f"Update the runbook {GUIDE} with what {reference} taught",
        f"Update the runbook {FAILOVER} with what {reference} taught",
    ]
    for item in proposals:
        assert (item["type"], item["priority"], item["status"]) == ("process", "P2", "open")
        assert (item["owner"], item["created_by"]) == (admin.name, "tocsin")
    declined = ok(
        api.patch(
            f"/api/v1/action-items/{proposals[1]['reference']}",
            json={"status": "wont_do", "reason": "The failover runbook already covers it"},
            headers=admin.headers,
        )
    )
    assert declined["status"] == "wont_do"
    versions = ok(api.get(f"{API}/{postmortem['reference']}/versions", headers=admin.headers))
    assert [v["action"] for v in versions[:3]] == [
        "drafted",
        "action_item_added",
        "action_item_added",
    ]
