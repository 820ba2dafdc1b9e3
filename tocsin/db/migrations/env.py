"""Alembic environment: the engine comes from the caller, never from a URL here.

Running migrations needs no models. Autogenerating one needs every table: the
caller passes the complete metadata (``Base.metadata`` once
``tocsin.app.all_tables`` is imported) to :func:`tocsin.db.migrate.alembic_config`:
``db`` never imports the app.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, MetaData

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through tocsin.db.migrate, which passes the engine")
metadata = context.config.attributes.get("metadata")
if metadata is not None and not isinstance(metadata, MetaData):
    raise RuntimeError("the metadata passed to the migrations must be a MetaData")

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        # A migration may rewrite a big table: the statement timeout is for
        # requests. For this transaction only, so the pooled connection keeps it.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
