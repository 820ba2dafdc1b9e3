"""The on-call API, one router per concept, in the order the API documentation lists them.

The conventions every route follows (times, ranges, who may do what) are in
:mod:`tocsin.oncall.route_params`.
"""

from __future__ import annotations

from tocsin.oncall import (
    feed_routes,
    handoff_routes,
    override_routes,
    report_routes,
    schedule_routes,
    swap_routes,
)

ROUTERS = (
    schedule_routes.router,
    override_routes.router,
    swap_routes.router,
    feed_routes.router,
    handoff_routes.router,
    report_routes.router,
)
