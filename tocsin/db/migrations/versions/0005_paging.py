"""paging: escalation runs and events, pages, notifications, delivery attempts, ack tokens

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("policy_name", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("step_token", sa.Integer(), nullable=False),
        sa.Column("next_step_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reached_somebody", sa.Boolean(), nullable=False),
        sa.Column("started_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_runs")),
    )
    with op.batch_alter_table("escalation_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_runs_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_escalation_runs_state"), ["state"], unique=False)
        batch_op.create_index(
            "uq_escalation_runs_open_subject",
            ["subject_type", "subject_key"],
            unique=True,
            sqlite_where=sa.text("state IN ('active', 'acknowledged')"),
            postgresql_where=sa.text("state IN ('active', 'acknowledged')"),
        )

    op.create_table(
        "escalation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["escalation_runs.id"],
            name=op.f("fk_escalation_events_run_id_escalation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_events")),
    )
    with op.batch_alter_table("escalation_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_events_run_id"), ["run_id"], unique=False)

    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dead_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["escalation_runs.id"],
            name=op.f("fk_pages_run_id_escalation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
    )
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pages_run_id"), ["run_id"], unique=False)
        batch_op.create_index("ix_pages_user_state", ["user_name", "state"], unique=False)

    op.create_table(
        "ack_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name=op.f("fk_ack_tokens_page_id_pages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ack_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_ack_tokens_token_hash")),
    )
    with op.batch_alter_table("ack_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ack_tokens_page_id"), ["page_id"], unique=False)

    op.create_table(
        "page_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("method_index", sa.Integer(), nullable=False),
        sa.Column("method_type", sa.String(length=20), nullable=False),
        sa.Column("due_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("sent_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bundled_into", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_notifications_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_notifications")),
    )
    with op.batch_alter_table("page_notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_page_notifications_method_sent",
            ["user_name", "method_index", "sent_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_page_notifications_method_state",
            ["user_name", "method_index", "state"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_page_notifications_page_id"), ["page_id"], unique=False
        )

    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["page_notifications.id"],
            name=op.f("fk_delivery_attempts_notification_id_page_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_notification_id"), ["notification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_delivery_attempts_page_id"), ["page_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_page_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_notification_id"))

    op.drop_table("delivery_attempts")
    with op.batch_alter_table("page_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_notifications_page_id"))
        batch_op.drop_index("ix_page_notifications_method_state")
        batch_op.drop_index("ix_page_notifications_method_sent")

    op.drop_table("page_notifications")
    with op.batch_alter_table("ack_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ack_tokens_page_id"))

    op.drop_table("ack_tokens")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_index("ix_pages_user_state")
        batch_op.drop_index(batch_op.f("ix_pages_run_id"))

    op.drop_table("pages")
    with op.batch_alter_table("escalation_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_events_run_id"))

    op.drop_table("escalation_events")
    with op.batch_alter_table("escalation_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_escalation_runs_open_subject",
            sqlite_where=sa.text("state IN ('active', 'acknowledged')"),
            postgresql_where=sa.text("state IN ('active', 'acknowledged')"),
        )
        batch_op.drop_index(batch_op.f("ix_escalation_runs_state"))
        batch_op.drop_index(batch_op.f("ix_escalation_runs_incident_id"))

    op.drop_table("escalation_runs")
