"""public postmortems: when a postmortem was made public, and its public text on the status page

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("public_by", sa.String(length=100), nullable=True))
    with op.batch_alter_table("public_incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("postmortem_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("postmortem_html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("postmortem_title", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column(
                "postmortem_published_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "postmortem_updated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    # Both tables are referenced by others: SQLite (3.35 and later) drops the columns in
    # place rather than copying the tables, which their references would forbid.
    with op.batch_alter_table("public_incidents", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("postmortem_updated_at")
        batch_op.drop_column("postmortem_published_at")
        batch_op.drop_column("postmortem_title")
        batch_op.drop_column("postmortem_html")
        batch_op.drop_column("postmortem_body")
    with op.batch_alter_table("postmortems", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("public_by")
        batch_op.drop_column("public_at")
