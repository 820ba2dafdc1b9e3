"""The FastAPI application: API, web console and status page, with the engine running."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError

from tocsin import __version__
from tocsin.api import alerts as alerts_api
from tocsin.api import audit, classify, definitions, health, incidents, jobs, oncall, tokens, users
from tocsin.api import errors as api_errors
from tocsin.api import inbound as inbound_api
from tocsin.api import paging as paging_api
from tocsin.auth.throttle import LoginThrottle
from tocsin.service import Tocsin
from tocsin.web import ack, api_docs, pages
from tocsin.web.headers import SecurityHeaders

ROUTERS = (
    # First: alerts from monitoring tools are the hottest path, matched before everything else.
    inbound_api.router,
    health.router,
    users.router,
    tokens.router,
    jobs.router,
    audit.router,
    incidents.router,
    classify.router,
    alerts_api.router,
    *definitions.ROUTERS,
    oncall.router,
    paging_api.router,
    ack.router,
    pages.router,
    api_docs.router,
)


def create_app(tocsin: Tocsin, *, start_engine: bool = True) -> FastAPI:
    """Build the app around an opened :class:`Tocsin`; the app owns it from then on."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_engine:
            tocsin.start()
        # Everything loaded so far (the app, its routes, the SQLAlchemy models:
        # about 170,000 objects) lives as long as the process. Frozen, the
        # collector stops traversing it: a full collection took ~90 ms here,
        # and under an alert storm it ran often enough to be the p99 latency.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            tocsin.close()

    app = FastAPI(
        title="Tocsin",
        version=__version__,
        summary="Self-hosted incident management",
        lifespan=lifespan,
        # Served by tocsin.web.api_docs from local files; ReDoc would need a CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.tocsin = tocsin
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(SecurityHeaders)
    # The database refused or cancelled the transaction: retry later, not a bug.
    app.add_exception_handler(OperationalError, health.database_unavailable)
    app.add_exception_handler(RequestValidationError, api_errors.invalid_request)
    for router in ROUTERS:
        app.include_router(router)
    api_docs.mount_assets(app)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    return app
