"""The same migrations build the schema on SQLite and PostgreSQL, and step back."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import tocsin.app.all_tables  # noqa: F401
from tocsin.db import migrate
from tocsin.db.base import Base
from tocsin.db.database import Database
from tocsin.kernel.settings import Settings


def test_upgrade_builds_exactly_the_models(settings: Settings) -> None:
    database = Database(settings)
    migrate.upgrade(database.engine)
    assert migrate.is_current(database.engine)
    with database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
    database.dispose()


def test_latest_migration_downgrades_and_upgrades_again(settings: Settings) -> None:
    database = Database(settings)
    migrate.upgrade(database.engine)
    script = ScriptDirectory.from_config(migrate.alembic_config(database.engine))
    head = script.get_revision("head")
    assert head is not None
    previous = head.down_revision if isinstance(head.down_revision, str) else "base"
    tables_at_head = set(inspect(database.engine).get_table_names())

    migrate.downgrade(database.engine, previous or "base")
    assert migrate.current_revisions(database.engine) == (
        {previous} if previous and previous != "base" else set()
    )
    assert not migrate.is_current(database.engine)

    migrate.upgrade(database.engine)
    assert migrate.is_current(database.engine)
    assert set(inspect(database.engine).get_table_names()) == tables_at_head
    database.dispose()
