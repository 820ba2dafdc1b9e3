"""A committer batch of inbound requests: staged, locked together, bodies written once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.alerts.support import alerts, events, integration
from tests.alerts.test_committer import _batched
from tests.conftest import Caller
from tocsin.alerts import locking
from tocsin.alerts.configured import Integration
from tocsin.alerts.receive import Ingesting, Keyed
from tocsin.app.service import Tocsin
from tocsin.domain.alert_lifecycle import Action, Signal

ENDED = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)


def _sending(tocsin: Tocsin, key: str, *signals: Signal) -> Callable[[Session], Any]:
    """The work one inbound request with ``signals`` hands the committer."""

    def build(_: Integration) -> list[Signal]:
        return list(signals)

    return Keyed(tocsin, key, ("pagerduty",), Ingesting(build))


def _trigger(dedup: str, **details: Any) -> Signal:
    return Signal(Action.TRIGGER, dedup, summary=f"{dedup} broke", details=details)


@pytest.fixture
def key(tocsin: Tocsin, client: TestClient, admin: Caller) -> str:
    return integration(client, admin, "monitoring", "pagerduty")


def test_two_repeats_of_one_alert_in_a_batch_keep_both_changes(tocsin: Tocsin, key: str) -> None:
    _batched(tocsin, [_sending(tocsin, key, _trigger("disk", region="eu"))], "first")
    outcomes = _batched(
        tocsin,
        [
            _sending(tocsin, key, _trigger("disk", used="91%")),
            _sending(tocsin, key, _trigger("disk", inode="98%")),
        ],
    )
    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    [alert] = alerts(tocsin)
    assert alert.occurrences == 3
    assert alert.details == {"region": "eu", "used": "91%", "inode": "98%"}
    assert events(tocsin, alert_id=alert.id).count("repeated") == 2


def test_a_resolution_after_a_repeat_in_the_same_batch_keeps_the_repeat_and_the_end(
    tocsin: Tocsin, key: str
) -> None:
    _batched(tocsin, [_sending(tocsin, key, _trigger("disk", region="eu"))], "first")
    _batched(
        tocsin,
        [
            _sending(tocsin, key, _trigger("disk", used="91%")),
            _sending(tocsin, key, Signal(Action.RESOLVE, "disk", ended_at=ENDED)),
        ],
    )
    [alert] = alerts(tocsin)
    assert alert.status == "resolved"
    assert alert.details == {"region": "eu", "used": "91%", "endsAt": ENDED.isoformat()}


def test_a_batch_takes_its_alert_locks_in_one_statement_whatever_their_order(
    backend: str, tocsin: Tocsin, key: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite takes no advisory locks (one writer at a time)")
    names = sorted("abcdef", key=lambda name: locking.alert_key("checkout", name), reverse=True)
    _batched(tocsin, [_sending(tocsin, key, _trigger(name)) for name in names], "first")
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    event.listen(tocsin.database.engine, "before_cursor_execute", seen)
    try:
        # Repeats arriving with their locks in descending order: one by one, each
        # lock would fall below the ones held and be tried on its own.
        outcomes = _batched(tocsin, [_sending(tocsin, key, _trigger(name)) for name in names])
    finally:
        event.remove(tocsin.database.engine, "before_cursor_execute", seen)
    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert [sql for sql in statements if "advisory" in sql] == [locking._WAIT]
    assert {alert.occurrences for alert in alerts(tocsin)} == {2}
