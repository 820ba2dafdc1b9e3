"""record_list_indexes: indexes for incident, page, run, audit and job lists

Each list pages by keyset (``tocsin.db.keyset``): a filter's index ends with
the list's sort key so that a page walks it from the cursor. The composite
indexes replace the single-column ones they begin with (incidents' status,
severity and detected_at, runs' state, pages' user and state).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: (table, index, columns) created by this revision.
CREATED = [
    ("incidents", "ix_incidents_detected", ["detected_at", "id"]),
    ("incidents", "ix_incidents_status_detected", ["status", "detected_at", "id"]),
    ("incidents", "ix_incidents_severity_detected", ["severity", "detected_at", "id"]),
    ("incidents", "ix_incidents_drill_detected", ["drill", "detected_at", "id"]),
    ("escalation_runs", "ix_escalation_runs_state_id", ["state", "id"]),
    ("pages", "ix_pages_user_state_id", ["user_name", "state", "id"]),
    ("pages", "ix_pages_user_id", ["user_name", "id"]),
    ("pages", "ix_pages_state_id", ["state", "id"]),
    ("audit_log", "ix_audit_log_actor_id", ["actor", "id"]),
    ("audit_log", "ix_audit_log_object_type_id", ["object_type", "id"]),
    ("jobs", "ix_jobs_state_id", ["state", "id"]),
    ("jobs", "ix_jobs_kind_id", ["kind", "id"]),
]
#: (table, index, columns) the composite indexes above make redundant.
REPLACED = [
    ("incidents", "ix_incidents_detected_at", ["detected_at"]),
    ("incidents", "ix_incidents_status", ["status"]),
    ("incidents", "ix_incidents_severity", ["severity"]),
    ("escalation_runs", "ix_escalation_runs_state", ["state"]),
    ("pages", "ix_pages_user_state", ["user_name", "state"]),
]


def upgrade() -> None:
    for table, name, columns in CREATED:
        op.create_index(name, table, columns, unique=False)
    for table, name, _ in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, columns in REPLACED:
        op.create_index(name, table, columns, unique=False)
    for table, name, _ in CREATED:
        op.drop_index(name, table_name=table)
