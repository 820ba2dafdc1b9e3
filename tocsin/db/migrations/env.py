"""Alembic environment: the engine comes from the caller, never from a URL here."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import tocsin.app.all_tables  # noqa: F401  (registers every table on the metadata)
from tocsin.db.base import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through tocsin.db.migrate, which passes the engine")

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        # A migration may rewrite a big table: the statement timeout is for
        # requests. For this transaction only, so the pooled connection keeps it.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
