"""Which incidents get a postmortem, when, drafted with which template, owned by whom."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    MONDAY,
    assign,
    declare,
    iso,
    move,
    ok,
    postmortem_of,
    resolved_incident,
    set_up,
    timeline_texts,
)
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_sev2_resolving_gets_a_draft_owned_by_its_commander_due_48_hours_later(
    tocsin: Tocsin, api: TestClient, admin: Caller, clock: FakeClock
) -> None:
    reference = declare(api, admin, "SEV-2")
    assign(api, admin, reference, "incident_commander", "carol")
    move(api, admin, reference, "responding")
    with pytest.raises(AssertionError, match="has no postmortem"):
        postmortem_of(api, admin, reference)
    move(api, admin, reference, "resolved")
    tocsin.engine.run_until_idle()
    postmortem = postmortem_of(api, admin, reference)
    assert postmortem["reference"].startswith("PM-")
    assert (postmortem["owner"], postmortem["status"], postmortem["version"]) == (
        "carol",
        "draft",
        1,
    )
    assert postmortem["due_at"] == iso(MONDAY + timedelta(hours=48))
    assert postmortem["document"]["authors"] == ["carol"]
    assert postmortem["document"]["components"] == ["Checkout", "Payments API"]
    assert [s["key"] for s in postmortem["document"]["sections"]] == [
        "summary",
        "impact",
        "timeline",
        "root_cause",
        "contributing_factors",
        "what_went_well",
        "what_went_poorly",
        "where_we_got_lucky",
        "action_items",
        "lessons_learned",
    ]
    assert (
        f"Postmortem {postmortem['reference']} drafted from the timeline, owned by carol "
        "(version 1)" in timeline_texts(api, admin, reference)
    )
    # Reopened and resolved again: still the one postmortem.
    move(api, admin, reference, "responding", reason="it came back")
    move(api, admin, reference, "resolved")
    tocsin.engine.run_until_idle()
    assert ok(api.get(API, headers=admin.headers))["total"] == 1


def test_lower_severities_and_drills_get_none_unless_asked_for(
    tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller
) -> None:
    minor = resolved_incident(api, tocsin, admin, "SEV-3")
    drill = declare(api, admin, "SEV-1", drill=True)
    move(api, admin, drill, "resolved", reason="drill over")
    tocsin.engine.run_until_idle()
    assert ok(api.get(API, headers=admin.headers))["items"] == []

    created = ok(
        api.post(f"/api/v1/incidents/{minor}/postmortem", json={}, headers=responder.headers), 201
    )
    # No commander: owned by whoever declared the incident.
    assert (created["required"], created["owner"]) == (False, admin.name)
    again = api.post(f"/api/v1/incidents/{minor}/postmortem", json={}, headers=responder.headers)
    assert again.status_code == 409 and created["reference"] in again.json()["detail"]

    open_one = declare(api, admin, "SEV-3")
    early = api.post(f"/api/v1/incidents/{open_one}/postmortem", json={}, headers=admin.headers)
    assert early.status_code == 409 and "once it is resolved" in early.json()["detail"]
    nobody = api.post(
        f"/api/v1/incidents/{open_one}/postmortem", json={"owner": "ghost"}, headers=admin.headers
    )
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"] == ["body", "owner"]


def test_settings_choose_the_severities_the_due_date_and_the_template(
    tocsin: Tocsin, api: TestClient, admin: Caller, tmp_path: Path
) -> None:
    config = tmp_path / "settings"
    config.mkdir()
    for name in ("google-sre.yaml", "lightweight.yaml"):
        shutil.copy(EXAMPLES / "postmortems" / name, config / name)
    settings = "postmortems:\n  required_for: [SEV-3]\n  due_hours: 72\n  template: google-sre\n"
    set_up(tocsin, config, settings)
    assert ok(api.get(API, headers=admin.headers))["total"] == 0
    major = resolved_incident(api, tocsin, admin, "SEV-2")
    minor = resolved_incident(api, tocsin, admin, "SEV-3")
    with pytest.raises(AssertionError):
        postmortem_of(api, admin, major)
    postmortem = postmortem_of(api, admin, minor)
    assert postmortem["template"] == "google-sre"
    sections = postmortem["document"]["sections"]
    assert [s["title"] for s in sections][:4] == ["Summary", "Impact", "Root Causes", "Trigger"]
    assert sections[3]["hint"].startswith("For example: Latent bug triggered")
    assert postmortem["document"]["extra"] == {
        "trigger": "",
        "resolution": "",
        "detection": "",
        "supporting_information": [],
    }
    resolved_at = ok(api.get(f"/api/v1/incidents/{minor}", headers=admin.headers))["resolved_at"]
    assert postmortem["due_at"] == iso(datetime.fromisoformat(resolved_at) + timedelta(hours=72))

    light = ok(
        api.post(
            f"/api/v1/incidents/{major}/postmortem",
            json={"template": "lightweight"},
            headers=admin.headers,
        ),
        201,
    )
    assert [s["title"] for s in light["document"]["sections"]] == [
        "What happened",
        "Impact",
        "Timeline",
        "Why it happened",
        "What we will do",
    ]


def test_an_unknown_template_or_severity_is_refused_naming_it(
    tocsin: Tocsin, api: TestClient, admin: Caller, tmp_path: Path
) -> None:
    minor = resolved_incident(api, tocsin, admin, "SEV-3")
    refused = api.post(
        f"/api/v1/incidents/{minor}/postmortem",
        json={"template": "google"},
        headers=admin.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "template"]
    assert "unknown postmortem template 'google'" in refused.json()["detail"][0]["msg"]
