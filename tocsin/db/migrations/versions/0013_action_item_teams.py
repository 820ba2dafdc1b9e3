"""action item teams: the team answerable for each action item, filled in for existing ones

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_action_items_team_status", ["team", "status"], unique=False)
    # Existing items get the team that owns their incident's first affected service now,
    # the rule new items follow at creation.
    bind = op.get_bind()
    definitions = sa.table(
        "definitions", sa.column("kind"), sa.column("name"), sa.column("spec", sa.JSON)
    )
    owners = {
        name: spec.get("team")
        for name, spec in bind.execute(
            sa.select(definitions.c.name, definitions.c.spec).where(definitions.c.kind == "service")
        )
        if isinstance(spec, dict)
    }
    if not owners:
        return
    rows = bind.execute(
        sa.text(
            "SELECT a.id, s.name FROM action_items a "
            "JOIN incident_services s ON s.incident_id = a.incident_id ORDER BY a.id, s.name"
        )
    ).all()
    chosen: dict[int, str] = {}
    for item_id, service in rows:
        team = owners.get(service)
        if team and item_id not in chosen:
            chosen[item_id] = team
    for item_id, team in chosen.items():
        bind.execute(
            sa.text("UPDATE action_items SET team = :team WHERE id = :id"),
            {"team": team, "id": item_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_items_team_status")
        batch_op.drop_column("team")
