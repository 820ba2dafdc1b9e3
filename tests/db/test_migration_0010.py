"""Migration 0010 on a database holding deliveries: they survive, and each row tells one thing.

Rows are written at revision 0009 (deliveries had to name an update then),
the database is upgraded, and the new rules are tried: a delivery of a
component change, none naming both or neither, one per subscriber and change.
Stepping back forgets the component deliveries and keeps the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import tocsin.app.all_tables  # noqa: F401
from tocsin.db import migrate
from tocsin.db.base import Base
from tocsin.db.database import Database
from tocsin.db.types import UTCDateTime
from tocsin.kernel.settings import Settings

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
TABLES = Base.metadata.tables
#: status_deliveries as revision 0009 made it.
DELIVERIES_0009 = sa.Table(
    "status_deliveries",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscriber_id", sa.Integer),
    sa.Column("update_id", sa.Integer),
    sa.Column("state", sa.String(10)),
    sa.Column("attempts", sa.Integer),
    sa.Column("created_at", UTCDateTime(timezone=True)),
)


@pytest.fixture
def engine(settings: Settings) -> Iterator[sa.Engine]:
    database = Database(settings)
    yield database.engine
    database.dispose()


def _insert(conn: sa.Connection, table: str, **values: Any) -> int:
    written = conn.execute(sa.insert(TABLES[table]).returning(TABLES[table].c.id), [values])
    return int(written.scalar_one())


def _seed_at_0009(engine: sa.Engine) -> dict[str, int]:
    with engine.begin() as conn:
        subscriber = _insert(
            conn,
            "status_subscribers",
            code="s1",
            page="",
            channel="webhook",
            address="https://hooks.example.com/status",
            token_hash="0" * 64,
            created_at=NOW,
            confirmed_at=NOW,
            failures=0,
        )
        incident = _insert(
            conn,
            "public_incidents",
            code="p1",
            kind="incident",
            name="Checkout errors",
            status="investigating",
            impact="major",
            components=["Checkout"],
            backfilled=False,
            created_at=NOW,
            updated_at=NOW,
            started_at=NOW,
            last_update_at=NOW,
            auto_transition=False,
            created_by="ada",
        )
        update = _insert(
            conn,
            "public_updates",
            code="u1",
            public_incident_id=incident,
            status="investigating",
            body="Looking.",
            affected_components=[],
            notify=True,
            created_at=NOW,
            display_at=NOW,
            author="ada",
        )
        change = _insert(
            conn,
            "status_component_history",
            component="Checkout",
            status="major_outage",
            started_at=NOW,
            changed_by="ada",
        )
        conn.execute(
            sa.insert(DELIVERIES_0009),
            [
                {
                    "subscriber_id": subscriber,
                    "update_id": update,
                    "state": "sent",
                    "attempts": 1,
                    "created_at": NOW,
                }
            ],
        )
    return {"subscriber": subscriber, "update": update, "change": change}


def _deliver(engine: sa.Engine, **subject: int | None) -> None:
    deliveries = TABLES["status_deliveries"]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(deliveries),
            [{"state": "queued", "attempts": 0, "created_at": NOW, **subject}],
        )


def _subjects(engine: sa.Engine) -> list[tuple[int | None, int | None]]:
    deliveries = TABLES["status_deliveries"]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(deliveries.c.update_id, deliveries.c.component_change_id).order_by(
                deliveries.c.id
            )
        )
        return [(row.update_id, row.component_change_id) for row in rows]


def test_upgrading_keeps_update_deliveries_and_admits_one_per_component_change(
    engine: sa.Engine,
) -> None:
    migrate.upgrade(engine, "0009")
    ids = _seed_at_0009(engine)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    assert _subjects(engine) == [(ids["update"], None)]

    _deliver(engine, subscriber_id=ids["subscriber"], component_change_id=ids["change"])
    assert _subjects(engine) == [(ids["update"], None), (None, ids["change"])]
    refused: list[dict[str, int | None]] = [
        {"update_id": None, "component_change_id": None},
        {"update_id": ids["update"], "component_change_id": ids["change"]},
        {"component_change_id": ids["change"]},
    ]
    for subject in refused:
        with pytest.raises(IntegrityError):
            _deliver(engine, subscriber_id=ids["subscriber"], **subject)
    assert len(_subjects(engine)) == 2, "nothing half-written"

    indexes = {index["name"] for index in sa.inspect(engine).get_indexes("status_deliveries")}
    assert {"ix_status_deliveries_component_change", "ix_status_deliveries_subscriber"} <= indexes


def test_stepping_back_forgets_component_deliveries_only(engine: sa.Engine) -> None:
    migrate.upgrade(engine, "0009")
    ids = _seed_at_0009(engine)
    migrate.upgrade(engine)
    _deliver(engine, subscriber_id=ids["subscriber"], component_change_id=ids["change"])

    migrate.downgrade(engine, "0009")
    columns = {column["name"] for column in sa.inspect(engine).get_columns("status_deliveries")}
    assert "component_change_id" not in columns
    with engine.connect() as conn:
        kept = conn.execute(sa.select(DELIVERIES_0009.c.update_id)).scalars().all()
    assert kept == [ids["update"]]

    migrate.upgrade(engine)
    with pytest.raises(IntegrityError):
        _deliver(engine, subscriber_id=ids["subscriber"])
