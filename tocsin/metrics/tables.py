"""The metrics' rollups: counts per UTC day, kept current by the ``metrics.roll_up`` job.

A report over years of alerts or incidents would otherwise count millions of
rows per request. The incident rollups hold the incidents per day by severity
and source, and by service, for the weekly frequency
(:mod:`tocsin.metrics.frequency`). Each rollup holds, per UTC day (of the group's opening or the
alert's trigger) and per whole month, and per service, what the alert quality report adds up
(:mod:`tocsin.metrics.alert_quality`), drills' groups and alerts left out.
:mod:`tocsin.metrics.rollups` keeps them (and says which days they cover in
:class:`RollupState`); a report reads whole covered days from them and
counts the rest of its period from the alerts themselves, so its figures
are those of the raw computation.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class RollupState(Base):
    """Which days a rollup covers, and where the job is in counting them again."""

    __tablename__ = "metric_rollups"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The rollups cover the days (UTC) from this one until ``covered_until``, excluded;
    #: None: nothing is covered yet.
    covered_from: Mapped[date | None] = mapped_column(Date)
    covered_until: Mapped[date | None] = mapped_column(Date)
    #: Where the next recount of covered days starts (each run counts a chunk again).
    recounted_until: Mapped[date | None] = mapped_column(Date)
    #: When the last refresh looked for changed rows (the next looks from a little before).
    refreshed_at: Mapped[datetime | None]


class DayCounts:
    """What places a rollup's row in time, before its key: the day, or the month it begins."""

    day: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=-2)
    #: A month's sum of its days' rows, so that years are read in a few rows.
    month: Mapped[bool] = mapped_column(Boolean, primary_key=True, sort_order=-1)


class AlertGroupDay(DayCounts, Base):
    """The resolved alert groups opened on ``day`` (UTC) for one service and rule, by outcome;
    with ``month``, those of the whole month ``day`` begins."""

    __tablename__ = "metric_alert_group_days"

    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    rule: Mapped[str] = mapped_column(String(200), primary_key=True)
    groups: Mapped[int] = mapped_column(Integer)
    #: Alerts the groups held.
    alerts: Mapped[int] = mapped_column(Integer)
    incident: Mapped[int] = mapped_column(Integer)
    acknowledged: Mapped[int] = mapped_column(Integer)
    noise: Mapped[int] = mapped_column(Integer)


class AlertDay(DayCounts, Base):
    """The alerts triggered on ``day`` (UTC) for one service: flapping and resolved by no
    person; with ``month``, those of the whole month ``day`` begins."""

    __tablename__ = "metric_alert_days"

    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    alerts: Mapped[int] = mapped_column(Integer)
    flapping: Mapped[int] = mapped_column(Integer)
    auto_resolved: Mapped[int] = mapped_column(Integer)
    resolved_by_tocsin: Mapped[int] = mapped_column(Integer)


class IncidentDay(DayCounts, Base):
    """The incidents detected on ``day`` (UTC) of one severity and source (drills left out);
    with ``month``, those of the whole month ``day`` begins."""

    __tablename__ = "metric_incident_days"

    severity: Mapped[str] = mapped_column(String(50), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    incidents: Mapped[int] = mapped_column(Integer)


class IncidentServiceDay(DayCounts, Base):
    """The incidents detected on ``day`` (UTC) that affected one service (an incident counts
    for each service it affected); with ``month``, those of the whole month."""

    __tablename__ = "metric_incident_service_days"

    service: Mapped[str] = mapped_column(String(200), primary_key=True)
    incidents: Mapped[int] = mapped_column(Integer)
