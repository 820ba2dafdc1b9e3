"""incidents, their roles, checklists and append-only timeline

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:22:45.537633

The timeline is append-only, enforced by the database: triggers reject every
UPDATE and DELETE on ``incident_timeline`` on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


MESSAGE = "incident_timeline is append-only"

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER incident_timeline_no_{action.lower()}
    BEFORE {action} ON incident_timeline
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}: corrections are new entries');
    END
    """
    for action in ("UPDATE", "DELETE")
]

POSTGRES_FUNCTION = f"""
CREATE FUNCTION incident_timeline_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: corrections are new entries'
        USING ERRCODE = 'restrict_violation';
END
$$
"""

POSTGRES_TRIGGERS = [
    f"""
    CREATE TRIGGER incident_timeline_no_{action.lower()}
    BEFORE {action} ON incident_timeline
    FOR EACH ROW EXECUTE FUNCTION incident_timeline_append_only()
    """
    for action in ("UPDATE", "DELETE")
] + [
    """
    CREATE TRIGGER incident_timeline_no_truncate
    BEFORE TRUNCATE ON incident_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION incident_timeline_append_only()
    """
]


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _drop_append_only_triggers() -> None:
    # Dropping the table drops its triggers; only PostgreSQL's function remains.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION incident_timeline_append_only()")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=50), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("impact_started_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("detected_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("declared_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mitigated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("users_affected", sa.Integer(), nullable=True),
        sa.Column("revenue_impact", sa.String(length=100), nullable=True),
        sa.Column("error_budget_consumed", sa.String(length=50), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("created_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_detected_at", ["detected_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_severity"), ["severity"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_status"), ["status"], unique=False)

    op.create_table(
        "incident_checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("section", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("done_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_checklist_items_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_checklist_items")),
        sa.UniqueConstraint(
            "incident_id", "key", name=op.f("uq_incident_checklist_items_incident_id_key")
        ),
    )
    with op.batch_alter_table("incident_checklist_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_checklist_items_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("assigned_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_roles_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_roles")),
        sa.UniqueConstraint(
            "incident_id",
            "role",
            "user_name",
            name=op.f("uq_incident_roles_incident_id_role_user_name"),
        ),
    )
    with op.batch_alter_table("incident_roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_roles_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_services",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_services_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "name", name=op.f("pk_incident_services")),
    )
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.create_index("ix_incident_services_name", ["name"], unique=False)

    op.create_table(
        "incident_tags",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_tags_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "name", name=op.f("pk_incident_tags")),
    )
    with op.batch_alter_table("incident_tags", schema=None) as batch_op:
        batch_op.create_index("ix_incident_tags_name", ["name"], unique=False)

    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("note_kind", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_timeline_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_timeline")),
        sa.UniqueConstraint(
            "incident_id", "sequence", name=op.f("uq_incident_timeline_incident_id_sequence")
        ),
    )
    _create_append_only_triggers()


def downgrade() -> None:
    op.drop_table("incident_timeline")
    _drop_append_only_triggers()
    with op.batch_alter_table("incident_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_tags_name")

    op.drop_table("incident_tags")
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_services_name")

    op.drop_table("incident_services")
    with op.batch_alter_table("incident_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_roles_incident_id"))

    op.drop_table("incident_roles")
    with op.batch_alter_table("incident_checklist_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_checklist_items_incident_id"))

    op.drop_table("incident_checklist_items")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_status"))
        batch_op.drop_index(batch_op.f("ix_incidents_severity"))
        batch_op.drop_index("ix_incidents_detected_at")

    op.drop_table("incidents")
