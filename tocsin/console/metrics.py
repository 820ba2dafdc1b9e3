"""The console's metrics: response times and weekly trends, alert quality, on-call load,
and a tab per report of :mod:`tocsin.metrics.registry` (postmortems, action items).

Each page reads the same reports as ``/api/v1/metrics`` (:mod:`tocsin.metrics`)
for a period of days in the viewer's time zone (by default the last twelve
weeks, this one included) and the usual filters. Weeks are counted in the
viewer's zone too. The trends are stacked bar charts drawn on the server
(:mod:`tocsin.console.charts`), each with the same numbers in a table. A
registered report's tab (``metrics/report.html``) shows its sentence, its weekly
chart and each of its views as a table, from its answer (:class:`~tocsin.metrics.reports.Shown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from tocsin.config import known_names
from tocsin.config.organisation import SERVICE, TEAM
from tocsin.console.charts import StackedBars, stacked_bars
from tocsin.console.fields import day, midnight
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import SignedIn, Viewer
from tocsin.domain.refusals import Invalid
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import configured
from tocsin.incidents.declaring import SOURCES as INCIDENT_SOURCES
from tocsin.metrics import alert_quality, filters, frequency, oncall_load, response
from tocsin.metrics.frequency import Frequency
from tocsin.metrics.registry import REPORTS
from tocsin.metrics.reports import Chart, Report, readable

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

#: Weeks shown when no period is chosen (this one included).
DEFAULT_WEEKS = 12
#: Services drawn in their own colour; the others are added up as one.
SERVICES_DRAWN = 7
OTHERS = "other services"
#: Rules listed on the alerts page, noisiest first.
RULES_SHOWN = 50

Text = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True)
class Form:
    """The filter form as sent (empty strings are "any"), and the days it covers."""

    first: date
    last: date
    severity: str
    service: str
    team: str
    source: str

    def asked(self, viewer: Viewer, *, zone: bool = False) -> filters.Asked:
        return filters.Asked(
            start=midnight(self.first, viewer.zone),
            end=midnight(self.last, viewer.zone),
            severity=[self.severity] if self.severity else [],
            service=self.service or None,
            team=self.team or None,
            source=self.source or None,
            zone=viewer.zone.key if zone else "UTC",
        )

    def query(self) -> str:
        """The period, service and team, for the links between the pages.

        Severity and source are left behind: alerts have severities and sources
        of their own (``critical``, ``pagerduty``), incidents and pages another set.
        """
        values = {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "service": self.service,
            "team": self.team,
        }
        return urlencode({key: value for key, value in values.items() if value})


def form_of(
    viewer: SignedIn,
    tocsin: RuntimeDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    severity: Text = "",
    service: Text = "",
    team: Text = "",
    source: Text = "",
) -> Form:
    """The filter form: dates in the viewer's zone, by default the last twelve weeks."""
    today = tocsin.clock.now().astimezone(viewer.zone).date()
    monday = today - timedelta(days=today.weekday())
    first = day(start, "from") or monday - timedelta(weeks=DEFAULT_WEEKS - 1)
    last = day(end, "to") or monday + timedelta(weeks=1)
    if last <= first:
        raise Invalid("to", "must be after from", where="query")
    return Form(first, last, severity.strip(), service.strip(), team.strip(), source.strip())


Filled = Annotated[Form, Depends(form_of)]


def _choices(session: Session) -> dict[str, Any]:
    return {
        "reports": REPORTS,
        "levels": [level.level for level in configured.scale(session)],
        "services": known_names.defined(session, SERVICE),
        "teams": known_names.defined(session, TEAM),
    }


def _charts(found: Frequency) -> dict[str, StackedBars]:
    names = [week.label for week in found.weeks]
    labels = [week.start.strftime("%d %b") for week in found.weeks]
    drawn = found.services[:SERVICES_DRAWN]
    by_service = []
    for week in found.weeks:
        counts = {name: week.by_service.get(name, 0) for name in drawn}
        counts[OTHERS] = sum(n for name, n in week.by_service.items() if name not in drawn)
        by_service.append(counts)
    service_series = [*drawn, *([OTHERS] if len(found.services) > SERVICES_DRAWN else [])]
    return {
        "by_severity": stacked_bars(
            names, labels, found.severities, [week.by_severity for week in found.weeks]
        ),
        "by_service": stacked_bars(names, labels, service_series, by_service),
    }


@router.get("/incident-metrics", response_class=HTMLResponse)
def response_page(request: Request, viewer: SignedIn, tocsin: RuntimeDep, form: Filled) -> Response:
    """MTTD, MTTA and MTTR, and incidents per week by severity and by service."""
    with tocsin.database.sessions() as session:
        asked = form.asked(viewer, zone=True)
        checked = filters.for_incidents(session, asked)
        times = response.response(session, checked)
        weekly = frequency.frequency(session, checked, tocsin.clock.now())
        choices = _choices(session)
    context = {"times": times, "weekly": weekly, "sources": INCIDENT_SOURCES, **choices}
    return page(
        request, "metrics/response.html", viewer, {"form": form, **context, **_charts(weekly)}
    )


@router.get("/incident-metrics/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, viewer: SignedIn, tocsin: RuntimeDep, form: Filled) -> Response:
    """Alert accuracy per rule, noisiest first; flapping and auto-resolved per service."""
    with tocsin.database.sessions() as session:
        checked = filters.for_alerts(session, form.asked(viewer))
        found = alert_quality.alert_quality(session, checked, limit=RULES_SHOWN)
        choices = _choices(session)
    context = {
        **choices,
        "found": found,
        "levels": filters.ALERT_SEVERITIES,
        "sources": filters.ALERT_SOURCES,
    }
    return page(request, "metrics/alerts.html", viewer, {"form": form, **context})


@router.get("/incident-metrics/oncall", response_class=HTMLResponse)
def oncall_page(request: Request, viewer: SignedIn, tocsin: RuntimeDep, form: Filled) -> Response:
    """Pages per person and after-hours pages."""
    with tocsin.database.sessions() as session:
        people = oncall_load.oncall_load(session, filters.for_pages(session, form.asked(viewer)))
        choices = _choices(session)
    context = {"people": people, "sources": INCIDENT_SOURCES, **choices}
    return page(request, "metrics/oncall.html", viewer, {"form": form, **context})


def _weekly(chart: Chart) -> StackedBars:
    return stacked_bars(
        [week.label for week in chart.weeks],
        [week.start.strftime("%d %b") for week in chart.weeks],
        chart.series,
        [week.counts for week in chart.weeks],
    )


def _registered(report: Report[Any]) -> None:
    """``/incident-metrics/<name>``: the report's sentence, weekly chart and tables."""

    def shown(request: Request, viewer: SignedIn, tocsin: RuntimeDep, form: Filled) -> Response:
        with tocsin.database.sessions() as session:
            found = report.answer(session, form.asked(viewer, zone=True), tocsin.clock.now())
            choices = _choices(session)
        what = report.show(found)
        context = {
            "form": form,
            "report": report,
            "shown": what,
            "chart": _weekly(what.chart),
            "readable": readable,
            "sources": INCIDENT_SOURCES,
            **choices,
        }
        return page(request, "metrics/report.html", viewer, context)

    router.add_api_route(
        f"/incident-metrics/{report.name}",
        shown,
        methods=["GET"],
        response_class=HTMLResponse,
        name=f"metrics_{report.name.replace('-', '_')}_page",
    )


for registered in REPORTS:
    _registered(registered)
