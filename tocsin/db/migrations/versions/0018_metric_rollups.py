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


def _counts(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "metric_rollups",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("covered_from", sa.Date(), nullable=True),
        sa.Column("covered_until", sa.Date(), nullable=True),
        sa.Column("recounted_until", sa.Date(), nullable=True),
        sa.Column("refreshed_at", tocsin.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "metric_alert_group_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("month", sa.Boolean(), primary_key=True),
        sa.Column("service", sa.String(200), primary_key=True),
        sa.Column("rule", sa.String(200), primary_key=True),
        *_counts("groups", "alerts", "incident", "acknowledged", "noise"),
    )
    op.create_table(
        "metric_alert_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("month", sa.Boolean(), primary_key=True),
        sa.Column("service", sa.String(200), primary_key=True),
        *_counts("alerts", "flapping", "auto_resolved", "resolved_by_tocsin"),
    )
    op.create_table(
        "metric_incident_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("month", sa.Boolean(), primary_key=True),
        sa.Column("severity", sa.String(50), primary_key=True),
        sa.Column("source", sa.String(20), primary_key=True),
        *_counts("incidents"),
    )
    op.create_table(
        "metric_incident_service_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("month", sa.Boolean(), primary_key=True),
        sa.Column("service", sa.String(200), primary_key=True),
        *_counts("incidents"),
    )
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
