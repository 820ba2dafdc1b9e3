"""``GET /metrics``: Tocsin's own health for Prometheus, and who may read it.

The series recorded as Tocsin works come from :mod:`tocsin.telemetry`; the
gauges below are read from the database at scrape time, one grouped query
each, because the database holds them anyway: jobs by state and kind (the
engine's table), how overdue the oldest due job is, open incidents by
severity (the incidents' table). They live here, in the composition root,
the one place that may read both.

Access (``TOCSIN_METRICS_ACCESS``, docs/monitoring-tocsin.md):

- ``loopback`` (the default): a request from this machine needs no
  credentials; any other needs an admin's token (``Authorization: Bearer``)
  or an admin's console session. A request that came through a proxy (it
  carries ``Forwarded``, ``X-Forwarded-For`` or ``X-Real-IP``) is not from
  this machine, whatever its connection's address.
- ``token``: an admin's token always.
- ``open``: anybody who can reach the port.

Without credentials the answer is 401; with those of somebody who is not an
admin, 403.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from functools import partial

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from tocsin import __version__
from tocsin.app.health import TocsinDep
from tocsin.app.service import Tocsin
from tocsin.auth.deps import authenticate
from tocsin.auth.roles import allows
from tocsin.domain.refusals import Forbidden
from tocsin.engine import jobs
from tocsin.incidents import configured, records
from tocsin.telemetry import instruments
from tocsin.telemetry.exposition import CONTENT_TYPE, Sample, ScrapeGauge, render

router = APIRouter(tags=["health"])

#: ``TOCSIN_METRICS_ACCESS`` values that let a request in without credentials (``token`` never).
LOOPBACK, OPEN = "loopback", "open"
#: Headers a proxy adds: the request came from elsewhere, even over a loopback connection.
_FORWARDING = ("forwarded", "x-forwarded-for", "x-real-ip")


def from_loopback(request: Request) -> bool:
    """Whether the request came from this machine, straight (not through a proxy)."""
    if request.client is None or any(header in request.headers for header in _FORWARDING):
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:  # not an address: a Unix socket or a test client's name
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_access(request: Request, tocsin: Tocsin) -> None:
    """Let the request read the metrics, or raise 401 (no credentials) or 403 (not an admin)."""
    access = tocsin.settings.metrics_access
    if access == OPEN or (access == LOOPBACK and from_loopback(request)):
        return
    principal = authenticate(request, tocsin)
    if not allows(principal.role, "admin"):
        raise Forbidden("reading /metrics needs the admin role")


def _jobs(tocsin: Tocsin, session: Session) -> Iterator[Sample]:
    """Every registered kind in every unfinished state, 0 included, so that alerts have a series."""
    counts = jobs.count_unfinished(session)
    kinds = sorted({*tocsin.registry.kinds(), *(kind for _, kind in counts)})
    for state in jobs.UNFINISHED:
        for kind in kinds:
            yield (state, kind), counts.get((state, kind), 0)


def _overdue(tocsin: Tocsin, session: Session) -> Iterator[Sample]:
    due, _ = jobs.next_events(session)
    late = (tocsin.clock.now() - due).total_seconds() if due is not None else 0.0
    yield (), max(0.0, late)


def _open_incidents(session: Session) -> Iterator[Sample]:
    """Every configured severity, 0 included, and any other an open incident still has."""
    counts = records.open_by_severity(session)
    for level in configured.scale(session):
        counts.setdefault(level.level, 0)
    for severity, count in sorted(counts.items()):
        yield (severity,), count


def _build(_: Session) -> Iterator[Sample]:
    yield (__version__,), 1


def scrape_gauges(tocsin: Tocsin) -> tuple[ScrapeGauge, ...]:
    """The gauges read from the database when ``/metrics`` is scraped."""
    return (
        ScrapeGauge(
            instruments.JOBS,
            "Jobs pending, running or dead, by kind (done jobs are not counted).",
            ("state", "kind"),
            partial(_jobs, tocsin),
        ),
        ScrapeGauge(
            instruments.JOBS_OVERDUE,
            "Seconds since the oldest pending job was due (0 when none is overdue).",
            (),
            partial(_overdue, tocsin),
        ),
        ScrapeGauge(
            instruments.INCIDENTS_OPEN,
            "Incidents in triage, responding or mitigated, by severity; drills are not counted.",
            ("severity",),
            _open_incidents,
        ),
        ScrapeGauge(
            instruments.BUILD_INFO, "The running Tocsin's version; always 1.", ("version",), _build
        ),
    )


@router.get(
    "/metrics",
    summary="Tocsin's own metrics, in Prometheus' text format",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "Every series, as Prometheus text"},
        401: {"description": "Credentials are needed: an admin's bearer token"},
        403: {"description": "The credentials are not an admin's"},
    },
)
def metrics(request: Request, tocsin: TocsinDep) -> Response:
    check_access(request, tocsin)
    return Response(render(tocsin.database, scrape_gauges(tocsin)), media_type=CONTENT_TYPE)
