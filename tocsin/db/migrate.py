"""Alembic migrations, run programmatically by ``serve`` and ``tocsin db``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, metadata: MetaData | None = None) -> Config:
    """Alembic's configuration for migrating ``engine``.

    ``metadata`` (every table, for autogenerating a migration) is optional:
    running the migrations needs none.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["metadata"] = metadata
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revisions(engine: Engine) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def is_current(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions(engine)
