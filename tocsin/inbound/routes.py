"""Inbound endpoints: alerts from monitoring tools, authenticated by an integration key.

- ``POST /api/v1/integrations/{key}/alertmanager``, ``.../grafana``, ``.../webhook``
- ``GET|POST /api/v1/heartbeats/{key}``
- ``POST /v2/enqueue`` (PagerDuty Events API v2)
- ``POST /v2/alerts``, ``POST /v2/alerts/{identifier}/close|acknowledge|notes``
  (Opsgenie Alert API)
- ``POST /api/v1/reports`` (a signed-in person's report)

A 2xx answer means the alerts are committed. Bodies over
``TOCSIN_MAX_ALERT_BODY_BYTES`` (1 MiB unless set) get 413 before they are
parsed; malformed bodies (not JSON, another Content-Type, nested more than
32 levels) 400 or 422 naming the field, while NUL and lone surrogates become
U+FFFD (:mod:`tocsin.domain.untrusted`); an unknown or revoked
key 404 (401 for Opsgenie's header, PagerDuty's 400 "Invalid routing key"),
the same answer whether or not the key ever existed; a key over its rate
limit 429 with ``Retry-After``; a database that keeps refusing the
transaction 503 with ``Retry-After``, so senders retry instead of losing the
alert. The PagerDuty and Opsgenie endpoints answer in those services' own
formats.

Each source's module holds its parser, its endpoint and its wire format's
errors, and adds the endpoint to a router (its ``add_routes``); what they
share is in :mod:`tocsin.inbound.endpoints`. The order here is the order they
are matched and documented in.
"""

from __future__ import annotations

from fastapi import APIRouter

from tocsin.inbound import (
    alertmanager,
    grafana,
    heartbeat,
    opsgenie,
    pagerduty,
    user_report,
    webhook,
)


def add_routes(router: APIRouter) -> None:
    """Add every inbound endpoint to ``router``: the app's own, so that they are matched first.

    Not an included router: this FastAPI matches an included router's routes
    through extra layers on every request, several percent of an alert's CPU.
    """
    alertmanager.add_routes(router)
    grafana.add_routes(router)
    webhook.add_routes(router)
    heartbeat.add_routes(router)
    pagerduty.add_routes(router)
    opsgenie.add_routes(router)
    user_report.add_routes(router)
