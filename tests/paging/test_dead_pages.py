"""A step whose pages all end dead reached nobody: the escalation goes on to its next step at
once, at any urgency (instead of stopping, or waiting out the step's timeout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paging.conftest import configure, people_yaml
from tests.paging.harness import Harness
from tests.support.sinks import HttpSink, SmtpSink
from tocsin.app.service import Tocsin
from tocsin.domain.escalation import Urgency
from tocsin.kernel.clock import FakeClock

#: ``ghost`` is named but not defined: a user without contact methods, whose pages die at once.
POLICIES = """
escalation_policies:
  b-then-lead:
    steps:
      - {targets: [{user: engineer-b}], timeout_minutes: 5}
      - {targets: [{user: lead}], timeout_minutes: 5}
  ghost-then-lead:
    steps:
      - {targets: [{user: ghost}], timeout_minutes: 5}
      - {targets: [{user: lead}], timeout_minutes: 5}
  a-and-b-then-lead:
    steps:
      - {targets: [{user: engineer-a}, {user: engineer-b}], timeout_minutes: 5}
      - {targets: [{user: lead}], timeout_minutes: 5}
"""


@pytest.fixture
def harness(
    tocsin: Tocsin, clock: FakeClock, sink: HttpSink, smtp: SmtpSink, tmp_path: Path
) -> Iterator[Harness]:
    files = {"people.yaml": people_yaml(sink), "policies.yaml": POLICIES}
    configure(tocsin, tmp_path / "config", files)
    yield Harness(tocsin, clock, sink, smtp)


@pytest.mark.parametrize("urgency", [Urgency.LOW, Urgency.HIGH])
def test_a_step_whose_only_page_dies_in_delivery_moves_on_at_once(
    harness: Harness, urgency: Urgency
) -> None:
    harness.sink.failing["/b"] = 410
    run_id = harness.start(policy="b-then-lead", service=None, urgency=urgency)
    # No clock movement: the next step does not wait for the dead step's timeout.
    assert harness.received() == {"lead": 1}
    assert [page["state"] for page in harness.pages()] == ["dead", "open"]
    assert "step 1: every page is dead; moving on" in harness.event_texts(run_id)
    harness.advance(minutes=30)
    assert harness.received() == {"lead": 1}
    assert harness.run(run_id).state == "active"


def test_a_step_whose_only_person_cannot_be_paged_moves_on_at_low_urgency(
    harness: Harness,
) -> None:
    run_id = harness.start(policy="ghost-then-lead", service=None, urgency=Urgency.LOW)
    assert harness.received() == {"lead": 1}
    kinds = harness.events(run_id)
    assert kinds[kinds.index("page_dead") + 1] == "nobody"
    assert harness.run(run_id).reached_somebody


def test_a_step_goes_on_waiting_while_one_of_its_pages_is_alive(harness: Harness) -> None:
    harness.sink.failing["/b"] = 410
    run_id = harness.start(policy="a-and-b-then-lead", service=None)
    assert harness.received() == {"engineer-a": 1}
    harness.advance(minutes=4)
    assert harness.received() == {"engineer-a": 1}
    harness.advance(minutes=1)
    assert harness.received() == {"engineer-a": 1, "lead": 1}
    assert "nobody" not in harness.events(run_id)


def test_a_dead_page_of_the_last_step_leaves_the_escalation_open(harness: Harness) -> None:
    harness.sink.failing["/b"] = 410
    run_id = harness.start(policy="b-only", service=None, urgency=Urgency.LOW)
    assert harness.received() == {}
    assert harness.run(run_id).state == "active"
    assert "nobody" not in harness.events(run_id)
