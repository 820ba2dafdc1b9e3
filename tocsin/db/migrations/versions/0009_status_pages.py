"""status_pages: component statuses and history, public incidents and updates, subscribers

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_component_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("started_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("public_incident_id", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_component_history")),
    )
    with op.batch_alter_table("status_component_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_component_history_component", ["component", "started_at"], unique=False
        )

    op.create_table(
        "status_components",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("changed_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_status_components")),
    )
    op.create_table(
        "status_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("page", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("components", sa.JSON(), nullable=True),
        sa.Column("owner_email", sa.String(length=320), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_subscribers")),
        sa.UniqueConstraint(
            "page",
            "channel",
            "address",
            name=op.f("uq_status_subscribers_page_channel_address"),
        ),
        sa.UniqueConstraint("code", name=op.f("uq_status_subscribers_code")),
    )
    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.create_index("ix_status_subscribers_channel", ["channel", "id"], unique=False)

    op.create_table(
        "public_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("impact", sa.String(length=20), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("backfilled", sa.Boolean(), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("monitoring_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_update_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scheduled_for", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scheduled_until", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("auto_transition", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_public_incidents_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_incidents")),
        sa.UniqueConstraint("code", name=op.f("uq_public_incidents_code")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_public_incidents_incident_id")),
    )
    with op.batch_alter_table("public_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_public_incidents_kind_created", ["kind", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_public_incidents_kind_status", ["kind", "status", "id"], unique=False
        )

    op.create_table(
        "public_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("public_incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("affected_components", sa.JSON(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("display_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["public_incident_id"],
            ["public_incidents.id"],
            name=op.f("fk_public_updates_public_incident_id_public_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_updates")),
        sa.UniqueConstraint("code", name=op.f("uq_public_updates_code")),
    )
    with op.batch_alter_table("public_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_public_updates_incident", ["public_incident_id", "created_at"], unique=False
        )

    op.create_table(
        "status_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["status_subscribers.id"],
            name=op.f("fk_status_deliveries_subscriber_id_status_subscribers"),
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["public_updates.id"],
            name=op.f("fk_status_deliveries_update_id_public_updates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_deliveries")),
        sa.UniqueConstraint(
            "subscriber_id", "update_id", name=op.f("uq_status_deliveries_subscriber_id_update_id")
        ),
    )
    with op.batch_alter_table("status_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_status_deliveries_update", ["update_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_status_deliveries_update")

    op.drop_table("status_deliveries")
    with op.batch_alter_table("public_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_public_updates_incident")

    op.drop_table("public_updates")
    with op.batch_alter_table("public_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_public_incidents_kind_status")
        batch_op.drop_index("ix_public_incidents_kind_created")

    op.drop_table("public_incidents")
    with op.batch_alter_table("status_subscribers", schema=None) as batch_op:
        batch_op.drop_index("ix_status_subscribers_channel")

    op.drop_table("status_subscribers")
    op.drop_table("status_components")
    with op.batch_alter_table("status_component_history", schema=None) as batch_op:
        batch_op.drop_index("ix_status_component_history_component")

    op.drop_table("status_component_history")
