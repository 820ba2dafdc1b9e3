"""record_list_indexes: indexes for incident, page, run, audit and job lists

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the lists work before it merges


def downgrade() -> None:
    pass  # filled in by the lists work before it merges
