"""alert_list_indexes: indexes for the alert and alert-group lists

Each documented filter of ``GET /api/v1/alerts`` and ``GET /api/v1/alert-groups``
(status, service, both; "open" alerts through partial indexes) gets an index in
list order (newest first, by id), so keyset pages and capped counts read only
the rows they show.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_ALERT = "status != 'resolved'"


def upgrade() -> None:
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.create_index("ix_alert_groups_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_alert_groups_service_id", ["service", "id"], unique=False)
        batch_op.create_index(
            "ix_alert_groups_service_status_id", ["service", "status", "id"], unique=False
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_service_id", ["service", "id"], unique=False)
        batch_op.create_index(
            "ix_alerts_service_status_id", ["service", "status", "id"], unique=False
        )
        batch_op.create_index(
            "ix_alerts_open_id",
            ["id"],
            unique=False,
            sqlite_where=sa.text(OPEN_ALERT),
            postgresql_where=sa.text(OPEN_ALERT),
        )
        batch_op.create_index(
            "ix_alerts_open_service_id",
            ["service", "id"],
            unique=False,
            sqlite_where=sa.text(OPEN_ALERT),
            postgresql_where=sa.text(OPEN_ALERT),
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_open_service_id")
        batch_op.drop_index("ix_alerts_open_id")
        batch_op.drop_index("ix_alerts_service_status_id")
        batch_op.drop_index("ix_alerts_service_id")
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_groups_service_status_id")
        batch_op.drop_index("ix_alert_groups_service_id")
        batch_op.drop_index("ix_alert_groups_status_id")
