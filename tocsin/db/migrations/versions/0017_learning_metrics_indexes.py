"""learning metrics indexes: postmortems by due time, action items by creation time

The postmortem on-time rate (``tocsin.metrics.postmortem_timeliness``) counts
the postmortems due in a period by their state, read from (due_at,
published_at, required, incident_id); action item completion
(``tocsin.metrics.action_item_completion``) counts the items created in a
period by team and state, read from (created_at, team, status, due_date,
incident_id, done_at). Both are declared in ``tocsin.postmortems.tables``.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

INDEXES = [
    (
        "postmortems",
        "ix_postmortems_due_metrics",
        ["due_at", "published_at", "required", "incident_id"],
    ),
    (
        "action_items",
        "ix_action_items_created_metrics",
        ["created_at", "team", "status", "due_date", "incident_id", "done_at"],
    ),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in INDEXES:
        op.drop_index(name, table_name=table)
