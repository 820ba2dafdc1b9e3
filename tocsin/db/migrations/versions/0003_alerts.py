"""alerts: integration keys, alerts, alert groups and their history, silences, heartbeats

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:40:07.367412

The partial unique index ``uq_alerts_open_service_dedup_key`` (``WHERE status !=
'resolved'``) is what makes ingest an upsert: at most one open alert per
(service, dedup key), enforced by the database on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("join_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("escalation_policy", sa.String(length=200), nullable=True),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("routing_rule", sa.String(length=200), nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("paging", sa.Boolean(), nullable=False),
        sa.Column("suppressed_by", sa.String(length=250), nullable=True),
        sa.Column("suppressed_until", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_alert_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("updated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_groups")),
        sa.UniqueConstraint("service", "join_key", name=op.f("uq_alert_groups_service_join_key")),
    )
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_groups_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_alert_groups_status_opened_at", ["status", "opened_at"], unique=False
        )

    op.create_table(
        "heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("last_ping_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeats")),
        sa.UniqueConstraint("integration", name=op.f("uq_heartbeats_integration")),
    )
    op.create_table(
        "integration_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration", sa.String(length=200), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_keys")),
        sa.UniqueConstraint("key_digest", name=op.f("uq_integration_keys_key_digest")),
    )
    with op.batch_alter_table("integration_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_keys_integration"), ["integration"], unique=False
        )

    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expired_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    with op.batch_alter_table("silences", schema=None) as batch_op:
        batch_op.create_index("ix_silences_ends_at", ["ends_at"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("dedup_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("integration", sa.String(length=200), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("runbook_url", sa.Text(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("suppressed_by", sa.String(length=250), nullable=True),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("started_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("triggered_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alert_groups.id"],
            name=op.f("fk_alerts_group_id_alert_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_group_id_status", ["group_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(
            "ix_alerts_integration_dedup_key", ["integration", "dedup_key"], unique=False
        )
        batch_op.create_index(
            "ix_alerts_service_dedup_key_triggered_at",
            ["service", "dedup_key", "triggered_at"],
            unique=False,
        )
        batch_op.create_index("ix_alerts_status_id", ["status", "id"], unique=False)
        batch_op.create_index(
            "uq_alerts_open_service_dedup_key",
            ["service", "dedup_key"],
            unique=True,
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        )

    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_events_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alert_groups.id"],
            name=op.f("fk_alert_events_group_id_alert_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_events_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_group_id"))
        batch_op.drop_index(batch_op.f("ix_alert_events_alert_id"))

    op.drop_table("alert_events")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_alerts_open_service_dedup_key",
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        )
        batch_op.drop_index("ix_alerts_status_id")
        batch_op.drop_index("ix_alerts_service_dedup_key_triggered_at")
        batch_op.drop_index("ix_alerts_integration_dedup_key")
        batch_op.drop_index(batch_op.f("ix_alerts_incident_id"))
        batch_op.drop_index("ix_alerts_group_id_status")

    op.drop_table("alerts")
    with op.batch_alter_table("silences", schema=None) as batch_op:
        batch_op.drop_index("ix_silences_ends_at")

    op.drop_table("silences")
    with op.batch_alter_table("integration_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_keys_integration"))

    op.drop_table("integration_keys")
    op.drop_table("heartbeats")
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_groups_status_opened_at")
        batch_op.drop_index(batch_op.f("ix_alert_groups_incident_id"))

    op.drop_table("alert_groups")
