"""Prepared statements store and read values exactly as SQLAlchemy does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, insert, select

from tocsin.alerts import statements
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.app.service import Tocsin
from tocsin.db.prepared import PerDialect, binds, prepare
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.tables import Job

_JOB_COLUMNS = (
    "kind",
    "payload",
    "run_at",
    "attempts",
    "max_attempts",
    "state",
    "lease_owner",
    "lease_expires_at",
    "idempotency_key",
    "created_at",
    "updated_at",
)
NOW = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


@dataclass(frozen=True)
class Probe:
    run_id: int
    nested: dict[str, Any]


PROBE = JobKind("test.kind", Probe)


def _alert(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "service": "checkout",
        "dedup_key": "disk-full",
        "status": "triggered",
        "severity": "critical",
        "summary": "Disk full",
        "integration": "prom",
        "source_type": "alertmanager",
        "source": "db-1",
        "labels": {"alertname": "DiskFull", "cluster": "eu"},
        "annotations": {"summary": "Disk full ✓"},
        "details": {"nested": {"list": [1, 2.5, None, True]}},
        "links": [{"href": "https://grafana.example.com", "text": "Dashboard"}],
        "runbook_url": None,
        "occurrences": 1,
        "flapping": False,
        "urgency": "high",
        "started_at": NOW - timedelta(minutes=5),
        "triggered_at": NOW,
        "last_event_at": NOW,
    }
    values.update(changes)
    return values


def test_an_upsert_on_the_cursor_stores_what_the_orm_reads_back(tocsin: Tocsin) -> None:
    with tocsin.database.transaction() as session:
        connection = session.connection()
        upsert = prepare(connection, statements.UPSERT_ALERT)
        first = upsert.first(connection, _alert())
        again = upsert.first(
            connection, _alert(labels={"alertname": "DiskFull"}, last_event_at=NOW + timedelta(1))
        )
    assert first is not None and again is not None
    assert first[0] == again[0]
    assert (first[1], again[1]) == (1, 2)
    # A repeat leaves the body to the caller's merge and returns it as stored.
    assert again[4:8] == (
        {"alertname": "DiskFull", "cluster": "eu"},
        {"summary": "Disk full ✓"},
        {"nested": {"list": [1, 2.5, None, True]}},
        [{"href": "https://grafana.example.com", "text": "Dashboard"}],
    )
    with tocsin.database.sessions() as session:
        alert = session.scalars(select(Alert)).one()
    assert alert.labels == {"alertname": "DiskFull", "cluster": "eu"}
    assert alert.annotations == {"summary": "Disk full ✓"}
    assert alert.details == {"nested": {"list": [1, 2.5, None, True]}}
    assert alert.links == [{"href": "https://grafana.example.com", "text": "Dashboard"}]
    assert alert.flapping is False
    assert alert.started_at == NOW - timedelta(minutes=5)
    assert alert.last_event_at == NOW + timedelta(1)
    assert alert.occurrences == 2


def test_rows_read_on_the_cursor_carry_aware_datetimes_and_booleans(tocsin: Tocsin) -> None:
    with tocsin.database.transaction() as session:
        connection = session.connection()
        insert_group = prepare(connection, statements.INSERT_GROUP)
        opened = insert_group.first(
            connection,
            {
                "service": "checkout",
                "group_key": "k",
                "join_key": "k",
                "status": "open",
                "title": "Disk full",
                "rule": "DiskFull",
                "labels": {},
                "escalation_policy": None,
                "urgency": "high",
                "routing_rule": None,
                "alert_count": 1,
                "paging": True,
                "suppressed_by": None,
                "suppressed_until": None,
                "opened_at": NOW,
                "last_alert_at": NOW,
                "updated_at": NOW,
            },
        )
        assert opened is not None
        clash = insert_group.first(
            connection,
            {
                **dict.fromkeys(("escalation_policy", "routing_rule", "suppressed_by")),
                "suppressed_until": None,
                "service": "checkout",
                "group_key": "k",
                "join_key": "k",
                "status": "open",
                "title": "again",
                "rule": "DiskFull",
                "labels": {},
                "urgency": "high",
                "alert_count": 1,
                "paging": False,
                "opened_at": NOW,
                "last_alert_at": NOW,
                "updated_at": NOW,
            },
        )
        joinable = prepare(connection, statements.JOINABLE_GROUP).first(
            connection, {"service": "checkout", "join_key": "k"}
        )
        prepare(connection, statements.JOIN_GROUP).run(
            connection, {"group": opened[0], "now": NOW + timedelta(1)}
        )
    assert clash is None, "ON CONFLICT DO NOTHING returns no row"
    assert joinable is not None
    group_id, last_alert_at, incident_id, paging = joinable
    assert group_id == opened[0]
    assert last_alert_at == NOW and last_alert_at.tzinfo is not None
    assert incident_id is None
    assert paging is True
    with tocsin.database.sessions() as session:
        group = session.scalars(select(AlertGroup)).one()
    assert group.alert_count == 2
    assert group.last_alert_at == NOW + timedelta(1)


def test_events_inserted_many_at_once_read_back_intact(tocsin: Tocsin) -> None:
    rows = [
        {
            "alert_id": None,
            "group_id": None,
            "at": NOW + timedelta(seconds=n),
            "kind": "note",
            "actor": "ana",
            "text": f"note {n}",
            "detail": {"n": n, "quote": 'it\'s "fine"'},
        }
        for n in range(3)
    ]
    with tocsin.database.transaction() as session:
        connection = session.connection()
        prepare(connection, statements.INSERT_EVENTS).run_many(connection, rows)
    with tocsin.database.sessions() as session:
        events = session.scalars(select(AlertEvent).order_by(AlertEvent.id)).all()
    assert [(e.at, e.text, e.detail) for e in events] == [
        (row["at"], row["text"], row["detail"]) for row in rows
    ]


def test_a_job_queued_and_claimed_on_the_cursor_reads_back_as_the_orm_sees_it(
    tocsin: Tocsin,
) -> None:
    payload: dict[str, Any] = {"run_id": 7, "nested": {"ok": True, "list": [1, "two"]}}
    with tocsin.database.transaction() as session:
        assert jobs.enqueue(session, PROBE, Probe(**payload), now=NOW, idempotency_key="k")
        assert not jobs.enqueue(session, PROBE, Probe(**payload), now=NOW, idempotency_key="k")
    with tocsin.database.transaction() as session:
        (claimed,) = jobs.claim(session, owner="w", now=NOW, lease=timedelta(minutes=1), limit=5)
        assert (claimed.kind, claimed.payload, claimed.attempts) == ("test.kind", payload, 1)
        assert claimed.run_at == NOW and claimed.run_at.tzinfo is not None
    with tocsin.database.sessions() as session:
        job = session.get(Job, claimed.id)
        assert job is not None
        assert (job.state, job.lease_owner, job.lease_expires_at) == (
            jobs.RUNNING,
            "w",
            NOW + timedelta(minutes=1),
        )


def test_a_statement_the_cursor_cannot_run_faithfully_is_refused_when_prepared(
    tocsin: Tocsin,
) -> None:
    events = cast(Table, AlertEvent.__table__)
    with tocsin.database.sessions() as session:
        connection = session.connection()
        with pytest.raises(ValueError, match="IN list"):
            prepare(connection, select(events.c.id).where(events.c.kind.in_(("a", "b"))))
        # "detail" has a Python-side default, which only SQLAlchemy's execution applies.
        with pytest.raises(ValueError, match="defaults"):
            prepare(connection, insert(events).values(binds(events, ("at", "kind", "actor"))))


#: An upsert needs its dialect's insert(): written once, built per dialect when first prepared.
_ENQUEUE_ONCE = PerDialect(
    lambda insert: (
        insert(cast(Table, Job.__table__))
        .values(binds(cast(Table, Job.__table__), _JOB_COLUMNS))
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Job.__table__.c.id)
    )
)


def test_a_statement_per_dialect_is_built_once_for_the_connections_dialect(
    tocsin: Tocsin,
) -> None:
    values = {
        "kind": "test.per_dialect",
        "payload": {"n": 1},
        "run_at": NOW,
        "attempts": 0,
        "max_attempts": 3,
        "state": "pending",
        "lease_owner": None,
        "lease_expires_at": None,
        "idempotency_key": "once",
        "created_at": NOW,
        "updated_at": NOW,
    }
    with tocsin.database.transaction() as session:
        connection = session.connection()
        dialect = connection.dialect
        assert _ENQUEUE_ONCE.statement(dialect) is _ENQUEUE_ONCE.statement(dialect)
        assert prepare(connection, _ENQUEUE_ONCE) is prepare(connection, _ENQUEUE_ONCE)
        first = prepare(connection, _ENQUEUE_ONCE).first(connection, values)
        again = prepare(connection, _ENQUEUE_ONCE).first(connection, values)
    assert first is not None and again is None  # the conflict is ignored, on either dialect
