"""pages after hours: whether each page came outside working hours, kept with the page

On-call load counts after-hours pages per person. Working this out per page
at each request (the local hour of every page, by time zone) cost seconds over
a large history; each page now records it when it is sent, in the person's
time zone at that moment (``tocsin.domain.metric_calendar.after_hours_in``),
and the on-call load index holds it. Existing pages get it from their
people's time zones now.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types
from tocsin.domain.metric_calendar import after_hours_in

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("after_hours", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    bind = op.get_bind()
    zones: dict[str, str] = {
        name: zone for name, zone in bind.execute(sa.text("SELECT name, time_zone FROM users"))
    }
    pages = sa.table(
        "pages",
        sa.column("id", sa.Integer),
        sa.column("user_name", sa.String),
        sa.column("created_at", tocsin.db.types.UTCDateTime()),
        sa.column("after_hours", sa.Boolean),
    )
    last = 0
    while True:  # a batch of pages at a time, by id: memory bounded at any history
        rows = bind.execute(
            sa.select(pages.c.id, pages.c.user_name, pages.c.created_at)
            .where(pages.c.id > last)
            .order_by(pages.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        late = [
            page_id for page_id, person, sent in rows if after_hours_in(sent, zones.get(person))
        ]
        if late:
            bind.execute(sa.update(pages).where(pages.c.id.in_(late)).values(after_hours=True))
    op.drop_index("ix_pages_user_created", table_name="pages")
    op.create_index(
        "ix_pages_user_created", "pages", ["user_name", "created_at", "run_id", "after_hours"]
    )


def downgrade() -> None:
    op.drop_index("ix_pages_user_created", table_name="pages")
    op.create_index("ix_pages_user_created", "pages", ["user_name", "created_at", "run_id"])
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("after_hours")
