"""The alerts API: alerts, alert groups and accuracy, integrations, silences and windows.

One router for the app to include, made of each concept's routes in the
order they are documented. Refusals are the tree's
(:mod:`tocsin.domain.refusals`), answered by the app's one handler.
"""

from __future__ import annotations

from fastapi import APIRouter

from tocsin.alerts import alert_routes, group_routes, integration_routes, silence_routes

router = APIRouter()
router.include_router(alert_routes.router)
router.include_router(group_routes.router)
router.include_router(integration_routes.router)
router.include_router(silence_routes.router)
