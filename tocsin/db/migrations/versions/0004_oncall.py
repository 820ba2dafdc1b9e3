"""on-call overrides, swap requests, calendar feeds, handoff notes and reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_TIME = tocsin.db.types.UTCDateTime(timezone=True)


def _schedule_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["schedule_id"],
        ["definitions.id"],
        name=op.f(f"fk_{table}_schedule_id_definitions"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.String(length=200), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("start_at", UTC_TIME, nullable=False),
        sa.Column("end_at", UTC_TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        _schedule_fk("oncall_overrides"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.create_index(
            "ix_oncall_overrides_schedule_end", ["schedule_id", "end_at"], unique=False
        )

    op.create_table(
        "oncall_swaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.String(length=200), nullable=False),
        sa.Column("requester", sa.String(length=100), nullable=False),
        sa.Column("covering", sa.String(length=100), nullable=False),
        sa.Column("start_at", UTC_TIME, nullable=False),
        sa.Column("end_at", UTC_TIME, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["override_id"],
            ["oncall_overrides.id"],
            name=op.f("fk_oncall_swaps_override_id_oncall_overrides"),
            ondelete="SET NULL",
        ),
        _schedule_fk("oncall_swaps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_swaps")),
    )
    with op.batch_alter_table("oncall_swaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_swaps_covering"), ["covering"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_swaps_requester"), ["requester"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_oncall_swaps_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        _schedule_fk("calendar_feeds"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_schedule_id"), ["schedule_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calendar_feeds_user_id"), ["user_id"], unique=False)

    op.create_table(
        "oncall_handoff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.String(length=200), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        _schedule_fk("oncall_handoff_notes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_handoff_notes")),
    )
    with op.batch_alter_table("oncall_handoff_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_oncall_handoff_notes_schedule_at", ["schedule_id", "created_at"], unique=False
        )

    op.create_table(
        "oncall_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.String(length=200), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("outgoing", sa.String(length=100), nullable=True),
        sa.Column("incoming", sa.String(length=100), nullable=False),
        sa.Column("period_start", UTC_TIME, nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        _schedule_fk("oncall_handoffs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_handoffs")),
        sa.UniqueConstraint(
            "schedule_id", "layer", "at", name=op.f("uq_oncall_handoffs_schedule_id_layer_at")
        ),
    )
    with op.batch_alter_table("oncall_handoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_handoffs_at"), ["at"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("oncall_handoffs", ["ix_oncall_handoffs_at"]),
        ("oncall_handoff_notes", ["ix_oncall_handoff_notes_schedule_at"]),
        ("calendar_feeds", ["ix_calendar_feeds_user_id", "ix_calendar_feeds_schedule_id"]),
        (
            "oncall_swaps",
            [
                "ix_oncall_swaps_schedule_id",
                "ix_oncall_swaps_requester",
                "ix_oncall_swaps_covering",
            ],
        ),
        ("oncall_overrides", ["ix_oncall_overrides_schedule_end"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
