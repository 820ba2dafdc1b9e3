"""action items: indexes for the list of every action item and for one item's history

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: The action item list's order (id, newest first) after each filter it offers.
ITEM_INDEXES = (
    ("ix_action_items_owner_id", ["owner", "id"]),
    ("ix_action_items_team_id", ["team", "id"]),
    ("ix_action_items_status_id", ["status", "id"]),
    ("ix_action_items_incident_id_id", ["incident_id", "id"]),
)


def upgrade() -> None:
    for name, columns in ITEM_INDEXES:
        op.create_index(name, "action_items", columns, unique=False)
    op.create_index(
        "ix_audit_log_object_id", "audit_log", ["object_type", "object_key", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_object_id", table_name="audit_log")
    for name, _ in reversed(ITEM_INDEXES):
        op.drop_index(name, table_name="action_items")
