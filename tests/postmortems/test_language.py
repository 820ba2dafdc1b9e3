"""The blameless language check through the API: texts, documents while editing and at
submission, configurable rules. It advises: nothing is refused because of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.postmortems.support import (
    API,
    ok,
    outbox_set_up,
    postmortem_of,
    resolved_incident,
    serving,
    set_up,
)
from tests.postmortems.test_config import problems
from tocsin.app.service import Tocsin

OWN_RULES = """
postmortems:
  blameless:
    disabled: [should_have]
    rules:
      - id: heroics
        pattern: "\\\\bhero(es|ic)?\\\\b"
        explanation: Heroics hide the gaps the system left.
        alternative: Say what the system needed someone to do by hand.
"""


@pytest.fixture
def api(tocsin: Tocsin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    outbox_set_up(tocsin, tmp_path / "config", monkeypatch)
    with serving(tocsin) as c:
        yield c


def check(api: TestClient, caller: Caller, text: str) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = ok(
        api.post(f"{API}/language", json={"text": text}, headers=caller.headers)
    )
    return flags


def test_a_text_is_flagged_sentence_by_sentence_with_the_blameless_way(
    api: TestClient, viewer: Caller
) -> None:
    text = "The pool ran out. carol forgot to raise its size. We should have load tested."
    flags = check(api, viewer, text)
    assert [(f["rule"], f["sentence"]) for f in flags] == [
        ("failed_to", "carol forgot to raise its size."),
        ("person_blamed", "carol forgot to raise its size."),
        ("should_have", "We should have load tested."),
    ]
    person = flags[1]
    assert text[person["start"] : person["end"]] == "carol forgot"
    assert "system the subject" in person["alternative"]
    assert check(api, viewer, "The pool size was set for a tenth of today's traffic.") == []
    too_long = api.post(f"{API}/language", json={"text": "x" * 100_001}, headers=viewer.headers)
    assert too_long.json()["detail"][0]["loc"] == ["body", "text"]


def test_the_document_is_checked_while_editing_and_submission_is_not_refused(
    tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller
) -> None:
    pm = postmortem_of(api, admin, resolved_incident(api, tocsin, admin))
    assert pm["flags"] == []
    edited = ok(
        api.patch(
            f"{API}/{pm['reference']}",
            json={
                "summary": "dan deleted the index. The outage was human error.",
                "contributing_factors": ["A careless review"],
            },
            headers=responder.headers,
        )
    )
    assert [(f["field"], f["rule"]) for f in edited["flags"]] == [
        ("summary", "person_blamed"),
        ("summary", "human_error"),
        ("contributing_factors.0", "careless"),
    ]
    assert (
        ok(api.get(f"{API}/{pm['reference']}/language", headers=admin.headers)) == (edited["flags"])
    )
    submitted = ok(
        api.post(
            f"{API}/{pm['reference']}/submit",
            json={"reviewers": ["carol"]},
            headers=responder.headers,
        )
    )
    assert submitted["status"] == "in_review" and len(submitted["flags"]) == 3
    assert ok(api.get(API, headers=admin.headers))["items"][0]["flags"] is None


def test_rules_are_switched_off_and_added_in_configuration(
    tocsin: Tocsin, api: TestClient, viewer: Caller, tmp_path: Path
) -> None:
    set_up(tocsin, tmp_path / "own", OWN_RULES)
    assert check(api, viewer, "We should have load tested.") == []
    (flag,) = check(api, viewer, "Dan was the hero of the night.")
    assert (flag["rule"], flag["matched"]) == ("heroics", "hero")
    assert flag["explanation"] == "Heroics hide the gaps the system left."


def test_configuration_names_unknown_or_taken_rules(tmp_path: Path) -> None:
    bad = (
        "postmortems:\n  blameless:\n    disabled: [shoulda]\n"
        "    rules:\n      - {id: careless, pattern: x, explanation: e, alternative: a}\n"
        "      - {id: own, pattern: '(', explanation: e, alternative: a}\n"
    )
    found = problems(tmp_path, {"settings.yaml": bad})
    assert any("pattern: is not a valid regular expression" in line for line in found), found
    fixed = bad.replace("pattern: '('", "pattern: 'x'")
    (message,) = problems(tmp_path, {"settings.yaml": fixed})
    assert "no built-in rule 'shoulda'" in message
    taken = fixed.replace("[shoulda]", "[]")
    (message,) = problems(tmp_path, {"settings.yaml": taken})
    assert "the id 'careless' is taken" in message
