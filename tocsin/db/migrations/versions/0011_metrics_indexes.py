"""metrics_indexes: response times read in order, and the time ranges metrics count over

MTTD, MTTA and MTTR each get an index on (drill, the duration in
microseconds, then the columns the filters read), so that a percentile is read
from the index up to its rank (``tocsin.metrics.response``). A summary index
holds what a period's counts and sums, and a week's counts, read; pages get one
for each person's pages over a period. The duration expressions are those of
``tocsin.db.instants``, spelled out here as they were when this revision was
written; a test checks that the queries use them.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _micros(dialect: str, later: str, earlier: str) -> str:
    """``later - earlier`` in microseconds, as ``tocsin.db.instants.micros_between`` spells it."""
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {later} - {earlier}) * 1000000 AS BIGINT)"
    return (
        f"(CAST(round((julianday(substr({later}, 1, 19)) - julianday(substr({earlier}, 1, 19)))"
        f" * 86400.0) AS INTEGER) * 1000000"
        f" + CAST(substr({later}, 21, 6) AS INTEGER) - CAST(substr({earlier}, 21, 6) AS INTEGER))"
    )


#: (index, later, earlier, the columns filtered on before the usual ones).
RESPONSE_TIMES = [
    ("ix_incidents_mttd", "detected_at", "impact_started_at", []),
    ("ix_incidents_mtta", "acknowledged_at", "detected_at", []),
    ("ix_incidents_mttr", "resolved_at", "detected_at", ["status"]),
]


#: (table, index, columns): each person's pages over a period, read from the index alone.
PLAIN = [("pages", "ix_pages_user_created", ["user_name", "created_at", "run_id"])]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, name, columns in PLAIN:
        op.create_index(name, table, columns, unique=False)
    # A period's counts and sums of the three, and a week's counts by severity and source.
    op.create_index(
        "ix_incidents_metrics",
        "incidents",
        [
            "drill",
            "detected_at",
            "severity",
            "source",
            "status",
            "impact_started_at",
            "acknowledged_at",
            "resolved_at",
            *(sa.text(_micros(dialect, later, earlier)) for _, later, earlier, _ in RESPONSE_TIMES),
        ],
        unique=False,
        postgresql_include=["id"],
    )
    for name, later, earlier, filtered in RESPONSE_TIMES:
        read = earlier if later == "detected_at" else later
        op.create_index(
            name,
            "incidents",
            [
                "drill",
                sa.text(_micros(dialect, later, earlier)),
                *filtered,
                "detected_at",
                "severity",
                "source",
            ],
            unique=False,
            # PostgreSQL answers from the index alone only when it holds every column the
            # duration reads (and the id, which a service filter compares).
            postgresql_include=[read, "id"],
        )


def downgrade() -> None:
    op.drop_index("ix_incidents_metrics", table_name="incidents")
    for table, name, _ in PLAIN:
        op.drop_index(name, table_name=table)
    for name, _, _, _ in RESPONSE_TIMES:
        op.drop_index(name, table_name="incidents")
