"""component_update_deliveries: a delivery tells an update or a component status change

Webhook subscribers are also told each component status change (Statuspage's
``component_update`` webhook), logged in ``status_deliveries`` like updates:
``update_id`` becomes nullable, ``component_change_id`` names the change, and
a CHECK keeps exactly one of them set. A subscriber's deliveries are listed
newest first, hence the index on (subscriber_id, id).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ONE_SUBJECT = (
    "(update_id IS NULL AND component_change_id IS NOT NULL)"
    " OR (update_id IS NOT NULL AND component_change_id IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("status_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("component_change_id", sa.Integer(), nullable=True))
        batch_op.alter_column("update_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_status_deliveries_component_change_id_status_component_history"),
            "status_component_history",
            ["component_change_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_status_deliveries_subscriber_id_component_change_id"),
            ["subscriber_id", "component_change_id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_status_deliveries_one_subject"), sa.text(ONE_SUBJECT)
        )
        batch_op.create_index(
            "ix_status_deliveries_component_change", ["component_change_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_status_deliveries_subscriber", ["subscriber_id", "id"], unique=False
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM status_deliveries WHERE update_id IS NULL"))
    with op.batch_alter_table("status_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_status_deliveries_subscriber")
        batch_op.drop_index("ix_status_deliveries_component_change")
        batch_op.drop_constraint(batch_op.f("ck_status_deliveries_one_subject"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_status_deliveries_subscriber_id_component_change_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_status_deliveries_component_change_id_status_component_history"),
            type_="foreignkey",
        )
        batch_op.alter_column("update_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("component_change_id")
