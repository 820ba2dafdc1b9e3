"""alert_list_indexes: indexes for the alert and alert-group lists

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the lists work before it merges


def downgrade() -> None:
    pass  # filled in by the lists work before it merges
