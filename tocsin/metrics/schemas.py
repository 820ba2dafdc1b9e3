"""The metrics API's answers: what each report returns, built from its result.

Durations are seconds (with microseconds as decimals); a statistic over no
incident is ``null`` (shown as "n/a" by the console and the command line).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import AliasChoices, BaseModel, Field

from tocsin.domain.lifecycle import DurationStats
from tocsin.metrics.alert_quality import AlertQuality, RuleAccuracy, ServiceAlerts
from tocsin.metrics.filters import Asked
from tocsin.metrics.frequency import Frequency, Week
from tocsin.metrics.oncall_load import PersonPages
from tocsin.metrics.response import Response

AFTER_HOURS = "outside 08:00-18:00, Monday to Friday, in the person's time zone (UTC if none)"


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


class AskedOut(BaseModel):
    """The question, as the caller asked it (read back by the command line, as written)."""

    start: datetime | None = Field(
        serialization_alias="from", validation_alias=AliasChoices("from", "start")
    )
    end: datetime | None = Field(
        serialization_alias="to", validation_alias=AliasChoices("to", "end")
    )
    severity: list[str]
    service: str | None
    team: str | None
    source: str | None

    @classmethod
    def of(cls, asked: Asked) -> AskedOut:
        return cls(
            start=asked.start,
            end=asked.end,
            severity=list(asked.severity),
            service=asked.service,
            team=asked.team,
            source=asked.source,
        )


class StatsOut(BaseModel):
    count: int = Field(description="Incidents this metric applies to")
    mean_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None = Field(description="Nearest-rank 90th percentile")

    @classmethod
    def of(cls, stats: DurationStats) -> StatsOut:
        return cls(
            count=stats.count,
            mean_seconds=_seconds(stats.mean),
            median_seconds=_seconds(stats.median),
            p90_seconds=_seconds(stats.p90),
        )


class ResponseOut(BaseModel):
    query: AskedOut
    incidents: int = Field(description="Incidents detected in the period that match, drills out")
    mttd: StatsOut = Field(
        description="Detected - impact started; only where impact start is known"
    )
    mtta: StatsOut = Field(description="First acknowledgement - detected")
    mttr: StatsOut = Field(description="Resolved - detected; resolved or closed incidents only")

    @classmethod
    def of(cls, asked: Asked, found: Response) -> ResponseOut:
        return cls(
            query=AskedOut.of(asked),
            incidents=found.incidents,
            mttd=StatsOut.of(found.mttd),
            mtta=StatsOut.of(found.mtta),
            mttr=StatsOut.of(found.mttr),
        )


class WeekOut(BaseModel):
    week: str = Field(description="ISO 8601 week", examples=["2026-W23"])
    start: date = Field(description="Its Monday, in the zone asked for")
    total: int
    by_severity: dict[str, int]
    by_service: dict[str, int]

    @classmethod
    def of(cls, week: Week) -> WeekOut:
        return cls(
            week=week.label,
            start=week.start,
            total=week.total,
            by_severity=week.by_severity,
            by_service=week.by_service,
        )


class FrequencyOut(BaseModel):
    query: AskedOut
    zone: str
    total: int
    severities: list[str] = Field(description="Levels seen, most severe first")
    services: list[str] = Field(description="Services seen, most incidents first")
    weeks: list[WeekOut]

    @classmethod
    def of(cls, asked: Asked, found: Frequency) -> FrequencyOut:
        return cls(
            query=AskedOut.of(asked),
            zone=found.zone,
            total=found.total,
            severities=found.severities,
            services=found.services,
            weeks=[WeekOut.of(week) for week in found.weeks],
        )


class RuleOut(BaseModel):
    service: str
    rule: str
    groups: int = Field(description="Resolved alert groups opened in the period")
    alerts: int = Field(description="Alerts those groups held")
    incidents: int = Field(description="Groups that declared or joined an incident")
    acknowledged: int = Field(description="Groups acknowledged, no incident")
    noise: int = Field(description="Groups resolved with nobody touching them")
    precision: float = Field(description="(incidents + acknowledged) / groups")

    @classmethod
    def of(cls, found: RuleAccuracy) -> RuleOut:
        row = found.row
        return cls(
            service=row.service,
            rule=row.rule,
            groups=row.groups,
            alerts=found.alerts,
            incidents=row.incidents,
            acknowledged=row.acknowledged,
            noise=row.noise,
            precision=round(row.precision, 4),
        )


class ServiceAlertsOut(BaseModel):
    service: str
    alerts: int = Field(description="Alerts triggered in the period")
    flapping: int
    auto_resolved: int = Field(description="Resolved by no person: by their sender or by Tocsin")
    resolved_by_tocsin: int = Field(description="Of those, by Tocsin's auto_resolve_after timer")

    @classmethod
    def of(cls, found: ServiceAlerts) -> ServiceAlertsOut:
        return cls(
            service=found.service,
            alerts=found.alerts,
            flapping=found.flapping,
            auto_resolved=found.auto_resolved,
            resolved_by_tocsin=found.resolved_by_tocsin,
        )


class AlertsOut(BaseModel):
    query: AskedOut
    rule_count: int = Field(description="Rules with resolved groups (rules lists the noisiest)")
    rules: list[RuleOut] = Field(description="Noisiest first: most noise, then lowest precision")
    services: list[ServiceAlertsOut] = Field(description="Most alerts first")

    @classmethod
    def of(cls, asked: Asked, found: AlertQuality) -> AlertsOut:
        return cls(
            query=AskedOut.of(asked),
            rule_count=found.rule_count,
            rules=[RuleOut.of(rule) for rule in found.rules],
            services=[ServiceAlertsOut.of(service) for service in found.services],
        )


class PersonOut(BaseModel):
    person: str
    time_zone: str
    pages: int
    after_hours: int = Field(description=AFTER_HOURS)

    @classmethod
    def of(cls, found: PersonPages) -> PersonOut:
        return cls(
            person=found.person,
            time_zone=found.time_zone,
            pages=found.pages,
            after_hours=found.after_hours,
        )


class OncallOut(BaseModel):
    query: AskedOut
    after_hours: str = Field(description="What after hours means", examples=[AFTER_HOURS])
    people: list[PersonOut] = Field(description="Most paged first")

    @classmethod
    def of(cls, asked: Asked, people: list[PersonPages]) -> OncallOut:
        return cls(
            query=AskedOut.of(asked),
            after_hours=AFTER_HOURS,
            people=[PersonOut.of(person) for person in people],
        )
