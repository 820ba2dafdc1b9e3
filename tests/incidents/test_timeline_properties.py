"""Any sequence of API actions leaves the timeline ordered, append-only and true to the incident.

A hypothesis state machine drives one incident per example through random
status changes (allowed or not, by the commander, an admin or a bystander),
severity changes, role assignments and removals, notes, back-dated notes,
corrections and checklist ticks, moving the fake clock between steps. After
every step it checks that:

- entries are numbered 1..n and recorded in that order;
- every entry seen before is still there, unchanged;
- replaying the timeline gives the incident's current status, severity, role
  holders and ticked checklist items;
- a refused action (4xx) appended nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import Caller, make_caller
from tests.incidents.support import API, client_without_engine, declare, get
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

STATUSES = ("triage", "responding", "mitigated", "resolved", "closed")
LEVELS = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
ROLES = ("incident_commander", "communications_lead", "operations_lead", "scribe", "responder")
CHECKLIST_KEYS = (
    "detection.what-alerts-fired",
    "investigate.review-recent-deployments",
    "resolve.verify-metrics-have-recovered",
    "scribe.record-timeline-of-events",
)
USERS = ("ada", "rex", "bea")


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with client_without_engine(tocsin) as test_client:
        yield test_client


def replay(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The incident state the timeline describes."""
    declared = entries[0]["details"]
    state: dict[str, Any] = {
        "status": declared["status"],
        "severity": declared["severity"],
        "roles": set(),
        "ticked": set(),
    }
    for entry in entries:
        details = entry["details"]
        if entry["kind"] == "status_change":
            assert details["from"] == state["status"]
            state["status"] = details["to"]
        elif entry["kind"] == "severity_change":
            assert details["from"] == state["severity"]
            state["severity"] = details["to"]
        elif entry["kind"] == "role_change":
            if details["from"]:
                state["roles"].remove((details["role"], details["from"]))
            if details["to"]:
                state["roles"].add((details["role"], details["to"]))
        elif entry["kind"] == "checklist":
            change = state["ticked"].add if details["done"] == "true" else state["ticked"].remove
            change(details["item"])
    return state


class IncidentActions(RuleBasedStateMachine):
    """Random actions on one incident through the API; the invariant checks its timeline.

    The test sets the API client, the fake clock and the callers by name
    ("ada" is an admin) on a subclass before hypothesis runs it.
    """

    client: ClassVar[TestClient]
    clock: ClassVar[FakeClock]
    callers: ClassVar[dict[str, Caller]]

    def __init__(self) -> None:
        super().__init__()
        self.reference: str = declare(self.client, self.admin, severity="SEV-3")["reference"]
        self.seen: list[dict[str, Any]] = []
        self.refused = False
        #: Whether the last step touched the checklist, so it is worth reading back.
        self.ticking = False

    @property
    def admin(self) -> Caller:
        return self.callers["ada"]

    def act(self, method: str, path: str, caller: str, body: Any = None) -> None:
        response = self.client.request(
            method,
            f"{API}/{self.reference}{path}",
            json=body,
            headers=self.callers[caller].headers,
        )
        assert response.status_code < 500, response.text
        self.refused = response.status_code >= 400
        if self.refused:
            assert response.status_code in (403, 409, 422), response.text

    def timeline(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = get(
            self.client, self.admin, f"{API}/{self.reference}/timeline"
        )
        return entries

    @rule(minutes=st.integers(min_value=0, max_value=90))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        self.refused = False

    @rule(
        status=st.sampled_from(STATUSES),
        reason=st.sampled_from([None, "", "because"]),
        caller=st.sampled_from(USERS),
    )
    def change_status(self, status: str, reason: str | None, caller: str) -> None:
        self.act("POST", "/status", caller, {"status": status, "reason": reason})

    @rule(level=st.sampled_from(LEVELS), reason=st.sampled_from(["", "reassessed"]))
    def change_severity(self, level: str, reason: str) -> None:
        self.act("POST", "/severity", "rex", {"severity": level, "reason": reason})

    @rule(role=st.sampled_from(ROLES), user=st.sampled_from(USERS))
    def assign(self, role: str, user: str) -> None:
        self.act("POST", "/roles", "bea", {"role": role, "user": user})

    @rule(role=st.sampled_from(ROLES), user=st.sampled_from((None, *USERS)))
    def unassign(self, role: str, user: str | None) -> None:
        query = f"?user={user}" if user else ""
        self.act("DELETE", f"/roles/{role}{query}", "rex")

    @rule(
        kind=st.sampled_from(["observation", "decision", "action"]),
        back=st.integers(min_value=0, max_value=30),
    )
    def note(self, kind: str, back: int) -> None:
        occurred = self.clock.now() - timedelta(minutes=back)
        body = {"text": f"{kind} note", "kind": kind, "occurred_at": occurred.isoformat()}
        self.act("POST", "/notes", "bea", body)

    @rule(corrects=st.integers(min_value=1, max_value=40))
    def correct(self, corrects: int) -> None:
        self.act("POST", "/notes", "rex", {"text": "correction", "corrects": corrects})

    @rule(key=st.sampled_from(CHECKLIST_KEYS), done=st.booleans())
    def tick(self, key: str, done: bool) -> None:
        self.act("POST", "/checklist", "bea", {"key": key, "done": done})
        self.ticking = True

    @invariant()
    def timeline_is_ordered_append_only_and_true(self) -> None:
        entries = self.timeline()
        assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))
        recorded = [e["recorded_at"] for e in entries]
        assert recorded == sorted(recorded)
        assert all(e["occurred_at"] <= e["recorded_at"] for e in entries)
        assert entries[: len(self.seen)] == self.seen
        if self.refused:
            assert len(entries) == len(self.seen)
        self.seen = entries

        current = get(self.client, self.admin, f"{API}/{self.reference}")
        state = replay(entries)
        assert current["status"] == state["status"]
        assert current["severity"] == state["severity"]
        assert {(r["role"], r["user"]) for r in current["roles"]} == state["roles"]
        if not self.ticking:
            return
        self.ticking = False
        checklist = get(self.client, self.admin, f"{API}/{self.reference}/checklist")
        items = checklist["items"] + [i for d in checklist["duties"] for i in d["items"]]
        ticked = {item["key"] for item in items if item["done"]}
        assert ticked <= state["ticked"]
        response_items = {item["key"] for item in checklist["items"] if item["done"]}
        assert response_items == {k for k in state["ticked"] if not k.startswith("scribe.")}


def test_any_sequence_of_actions_keeps_the_timeline_consistent(
    client: TestClient, tocsin: Tocsin, clock: FakeClock, admin: Caller
) -> None:
    callers = {
        "ada": admin,
        "rex": make_caller(tocsin, "rex", "responder"),
        "bea": make_caller(tocsin, "bea", "responder"),
    }

    machine = type(
        "Actions", (IncidentActions,), {"client": client, "clock": clock, "callers": callers}
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
