"""action item trackers: each action item's issue in each configured issue tracker

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_item_trackers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=False),
        sa.Column("tracker", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("remote_state", sa.String(length=200), nullable=True),
        sa.Column("pushed", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_item_id"],
            ["action_items.id"],
            name=op.f("fk_action_item_trackers_action_item_id_action_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_item_trackers")),
        sa.UniqueConstraint(
            "action_item_id",
            "tracker",
            name=op.f("uq_action_item_trackers_action_item_id_tracker"),
        ),
    )
    with op.batch_alter_table("action_item_trackers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_action_item_trackers_tracker_key", ["tracker", "key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("action_item_trackers", schema=None) as batch_op:
        batch_op.drop_index("ix_action_item_trackers_tracker_key")
    op.drop_table("action_item_trackers")
