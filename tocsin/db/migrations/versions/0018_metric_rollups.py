"""metric rollups: alert groups, alerts and incidents counted per UTC day for the metrics

``metric_alert_group_days`` and ``metric_alert_days`` hold what the alert
quality report adds up, per day (and per whole month) and service (and rule);
``metric_incident_days`` and ``metric_incident_service_days`` the incidents
per day by severity and source, and by service, for the weekly frequency; ``metric_rollups``
says which days they cover. The ``metrics.roll_up`` job fills them
(``tocsin.metrics.rollups``): nothing is copied here, the job counts the
history on its first runs. Three indexes serve it: alert groups by resolution
time and incidents by update time (what changed since it last looked), and
alerts by trigger time (one day's alerts).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tocsin.db.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _rollup(name: str, keys: dict[str, int], counts: tuple[str, ...]) -> None:
    """A rollup table: its day and month, its key columns (name: length), its counts."""
    op.create_table(
        name,
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("month", sa.Boolean(), primary_key=True),
        *(sa.Column(key, sa.String(length), primary_key=True) for key, length in keys.items()),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in counts),
    )


def upgrade() -> None:
    op.create_table(
        "metric_rollups",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("covered_from", sa.Date(), nullable=True),
        sa.Column("covered_until", sa.Date(), nullable=True),
        sa.Column("recounted_until", sa.Date(), nullable=True),
        sa.Column("refreshed_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    _rollup(
        "metric_alert_group_days",
        {"service": 200, "rule": 200},
        ("groups", "alerts", "incident", "acknowledged", "noise"),
    )
    _rollup(
        "metric_alert_days",
        {"service": 200},
        ("alerts", "flapping", "auto_resolved", "resolved_by_tocsin"),
    )
    _rollup("metric_incident_days", {"severity": 50, "source": 20}, ("incidents",))
    _rollup("metric_incident_service_days", {"service": 200}, ("incidents",))
    op.create_index("ix_incidents_updated_at", "incidents", ["updated_at"])
    op.create_index("ix_alert_groups_resolved_at", "alert_groups", ["resolved_at"])
    op.create_index("ix_alerts_triggered_at", "alerts", ["triggered_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_triggered_at", table_name="alerts")
    op.drop_index("ix_alert_groups_resolved_at", table_name="alert_groups")
    op.drop_index("ix_incidents_updated_at", table_name="incidents")
    op.drop_table("metric_incident_service_days")
    op.drop_table("metric_incident_days")
    op.drop_table("metric_alert_days")
    op.drop_table("metric_alert_group_days")
    op.drop_table("metric_rollups")
