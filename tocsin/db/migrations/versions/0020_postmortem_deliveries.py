"""postmortem deliveries: subscribers can be told that an incident's postmortem is public

``status_deliveries.postmortem_of`` names the public incident whose postmortem
a delivery tells (a third subject beside updates and component changes; the
CHECK keeps exactly one set), at most once per subscriber; and
``public_incidents.postmortem_notified_at`` records when subscribers were told,
so that they are told once (Statuspage's ``postmortem_notified_subscribers``).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TWO_SUBJECTS = (
    "(update_id IS NULL AND component_change_id IS NOT NULL)"
    " OR (update_id IS NOT NULL AND component_change_id IS NULL)"
)
THREE_SUBJECTS = (
    "(CASE WHEN update_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN component_change_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN postmortem_of IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade() -> None:
    with op.batch_alter_table("public_incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "postmortem_notified_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("status_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("postmortem_of", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_status_deliveries_postmortem_of_public_incidents"),
            "public_incidents",
            ["postmortem_of"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_status_deliveries_subscriber_id_postmortem_of"),
            ["subscriber_id", "postmortem_of"],
        )
        batch_op.drop_constraint(batch_op.f("ck_status_deliveries_one_subject"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_status_deliveries_one_subject"), sa.text(THREE_SUBJECTS)
        )
        batch_op.create_index(
            "ix_status_deliveries_postmortem", ["postmortem_of", "id"], unique=False
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM status_deliveries WHERE postmortem_of IS NOT NULL"))
    with op.batch_alter_table("status_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_status_deliveries_postmortem")
        batch_op.drop_constraint(batch_op.f("ck_status_deliveries_one_subject"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_status_deliveries_one_subject"), sa.text(TWO_SUBJECTS)
        )
        batch_op.drop_constraint(
            batch_op.f("uq_status_deliveries_subscriber_id_postmortem_of"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_status_deliveries_postmortem_of_public_incidents"),
            type_="foreignkey",
        )
        batch_op.drop_column("postmortem_of")
    # Not a batch: on SQLite that copies public_incidents, which its updates' rows refer to.
    op.execute(sa.text("ALTER TABLE public_incidents DROP COLUMN postmortem_notified_at"))
