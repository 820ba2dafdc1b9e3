"""The console's routers, and what it adds to the app (static files, the live broadcaster)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from tocsin.console import (
    action_items,
    admin,
    alerts,
    assets,
    escalations,
    home,
    incidents,
    login,
    metrics,
    oncall,
    outbox,
    postmortem_review,
    postmortems,
    services,
    status_messages,
    status_page,
    status_subscribers,
)
from tocsin.console.live import Broadcaster
from tocsin.db.database import Database

ROUTERS: tuple[APIRouter, ...] = (
    assets.router,
    login.router,
    home.router,
    outbox.router,
    incidents.router,
    alerts.router,
    oncall.router,
    escalations.router,
    services.router,
    metrics.router,
    status_page.router,
    status_subscribers.router,
    status_messages.router,
    postmortems.router,
    postmortem_review.router,
    action_items.router,
    admin.router,
)


def install(app: FastAPI, database: Database) -> None:
    """Add the console's routers, its own static files and its live broadcaster to ``app``."""
    for router in ROUTERS:
        app.include_router(router)
    app.state.console_live = Broadcaster(database)
    app.mount(
        "/console-static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="console-static",
    )
