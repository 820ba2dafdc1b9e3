"""Editing a draft: fields checked one by one, each change a version with its diff, on the
incident's timeline; and the document in the seed's template format."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ruamel.yaml import YAML

from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    MONDAY,
    iso,
    ok,
    postmortem_of,
    resolved_incident,
    set_up,
    timeline_texts,
)
from tocsin.app.service import Tocsin
from tocsin.postmortems.config_schema import PostmortemTemplateConfig

SEED_FIELDS = [
    "title",
    "date",
    "duration",
    "authors",
    "summary",
    "impact",
    "timeline",
    "contributing_factors",
    "action_items",
]


@pytest.fixture
def drafted(tocsin: Tocsin, api: TestClient, admin: Caller) -> dict[str, Any]:
    return postmortem_of(api, admin, resolved_incident(api, tocsin, admin))


def patch(api: TestClient, caller: Caller, pm: dict[str, Any], **body: Any) -> Any:
    return api.patch(f"{API}/{pm['reference']}", json=body, headers=caller.headers)


def refused_field(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    location: list[Any] = response.json()["detail"][0]["loc"]
    return location


def test_an_edit_is_a_version_with_its_diff_and_a_timeline_entry(
    api: TestClient, admin: Caller, responder: Caller, drafted: dict[str, Any]
) -> None:
    incident = drafted["incident"]
    candidates = ok(api.get(f"{API}/{drafted['reference']}/timeline", headers=admin.headers))
    unselected = next(c for c in candidates if not c["selected"])
    kept = [{"sequence": item["sequence"]} for item in drafted["document"]["timeline"]]
    deploy = MONDAY - timedelta(minutes=30)
    edited = ok(
        patch(
            api,
            responder,
            drafted,
            version=1,
            summary="A slow query exhausted the connection pool.",
            impact={"users_affected": 12500, "revenue_impact": "$45,000"},
            timeline=[
                *kept,
                {"sequence": unselected["sequence"], "event": "Checked the pool"},
                {"at": deploy.isoformat(), "event": "Deployment of v3.4.2 completed"},
            ],
            five_whys=[
                {"why": "Why did checkout fail?", "answer": "The pool ran out.", "cites": [1]},
                {"why": "Why? (The pool ran out)", "answer": "A query held connections."},
            ],
            contributing_factors=["No query performance testing in CI"],
        )
    )
    document = edited["document"]
    assert edited["version"] == 2
    assert document["timeline"][0] == {
        "sequence": None,
        "at": iso(deploy),
        "time": "08:30 UTC",
        "event": "Deployment of v3.4.2 completed",
    }
    assert any(
        item["sequence"] == unselected["sequence"] and item["event"] == "Checked the pool"
        for item in document["timeline"]
    )
    assert document["impact"]["users_affected"] == 12500
    assert document["impact"]["error_budget_consumed"] is None
    assert document["five_whys"][0]["cites"] == [1]
    (version,) = ok(api.get(f"{API}/{drafted['reference']}/versions", headers=admin.headers))[1:]
    assert (version["author"], version["action"]) == (responder.name, "edited")
    fields = [change["field"] for change in version["changes"]]
    assert fields == [
        "contributing_factors",
        "five_whys",
        "impact.revenue_impact",
        "impact.users_affected",
        "summary",
        "timeline",
    ]
    assert version["changes"][-2]["after"] == "A slow query exhausted the connection pool."
    assert (
        f"Postmortem {drafted['reference']} edited: {', '.join(fields)} (version 2)"
        in timeline_texts(api, admin, incident)
    )
    same = ok(patch(api, responder, drafted, summary="A slow query exhausted the connection pool."))
    assert same["version"] == 2  # nothing changed, nothing written


def test_each_bad_field_is_refused_by_name_and_nothing_changes(
    api: TestClient, admin: Caller, viewer: Caller, drafted: dict[str, Any]
) -> None:
    assert refused_field(patch(api, admin, drafted, timeline=[{"sequence": 9999}])) == [
        "body",
        "timeline",
        "0",
        "sequence",
    ]
    assert refused_field(patch(api, admin, drafted, timeline=[{"event": "Deploy"}])) == [
        "body",
        "timeline",
        "0",
        "at",
    ]
    assert refused_field(
        patch(api, admin, drafted, five_whys=[{"why": "Why?", "cites": [1, 9999]}])
    ) == ["body", "five_whys", "0", "cites", "1"]
    assert refused_field(patch(api, admin, drafted, extra={"trigger": "x"})) == [
        "body",
        "extra",
        "trigger",
    ]
    assert refused_field(patch(api, admin, drafted, bogus=1)) == ["body", "bogus"]
    assert refused_field(patch(api, admin, drafted, summary="x" * 20_001)) == ["body", "summary"]
    assert refused_field(patch(api, admin, drafted, owner="ghost")) == ["body", "owner"]
    assert patch(api, viewer, drafted, summary="Viewers read").status_code == 403
    stale = patch(api, admin, drafted, version=7, summary="Late")
    assert stale.status_code == 409
    after = ok(api.get(f"{API}/{drafted['reference']}", headers=admin.headers))
    assert after["version"] == 1 and after["document"] == drafted["document"]


def test_the_document_reads_back_as_the_seeds_template(
    api: TestClient, admin: Caller, drafted: dict[str, Any]
) -> None:
    ok(
        patch(
            api,
            admin,
            drafted,
            impact={"users_affected": 12500, "error_budget_consumed": "35%"},
            contributing_factors=["Canary deployment was skipped for this release"],
        )
    )
    answer = api.get(f"{API}/{drafted['reference']}/template.yaml", headers=admin.headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/yaml"
    loaded = YAML(typ="safe").load(answer.text)
    assert list(loaded) == ["postmortem"]
    assert list(loaded["postmortem"]) == SEED_FIELDS
    template = PostmortemTemplateConfig.model_validate(loaded["postmortem"])
    assert template.impact == {"users_affected": 12500, "error_budget_consumed": "35%"}
    assert template.timeline[0].time == "09:00 UTC"
    assert template.contributing_factors == ["Canary deployment was skipped for this release"]
    assert template.title == drafted["document"]["title"]


def test_a_templates_own_sections_are_edited_under_extra(
    tocsin: Tocsin, api: TestClient, admin: Caller, tmp_path: Path
) -> None:
    template = (
        "postmortem:\n  title: Short\n  sections:\n    - key: summary\n"
        "    - key: trigger\n    - key: links\n      kind: list\n"
    )
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "short.yaml").write_text(template)
    set_up(tocsin, tmp_path / "own", "postmortems:\n  template: short\n")
    pm = postmortem_of(api, admin, resolved_incident(api, tocsin, admin))
    assert pm["document"]["extra"] == {"trigger": "", "links": []}
    edited = ok(patch(api, admin, pm, extra={"trigger": "A deploy", "links": ["https://x"]}))
    assert edited["document"]["extra"] == {"trigger": "A deploy", "links": ["https://x"]}
    assert refused_field(patch(api, admin, pm, extra={"links": "one"})) == [
        "body",
        "extra",
        "links",
    ]
