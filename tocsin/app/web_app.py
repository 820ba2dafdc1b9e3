"""The FastAPI application: API, web console and status page, with the engine running."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError

from tocsin import __version__
from tocsin.admin import audit_routes as audit
from tocsin.admin import definition_routes as definitions
from tocsin.admin import job_routes as jobs
from tocsin.admin import token_routes as tokens
from tocsin.admin import user_routes as users
from tocsin.alerts import routes as alerts_api
from tocsin.app import health, metrics
from tocsin.app.service import Tocsin
from tocsin.app.tuning import tune_collector
from tocsin.auth.throttle import LoginThrottle
from tocsin.console import routes as console
from tocsin.domain.refusals import Refusal
from tocsin.http import errors as api_errors
from tocsin.inbound import routes as inbound_api
from tocsin.incidents import classify_routes as classify
from tocsin.incidents import routes as incidents
from tocsin.metrics import routes as metrics_api
from tocsin.oncall import routes as oncall
from tocsin.paging import routes as paging_api
from tocsin.postmortems import routes as postmortems_api
from tocsin.statuspage import drafting_routes as status_drafting
from tocsin.statuspage import public_routes as status_public
from tocsin.statuspage import routes as status_api
from tocsin.statuspage import subscriber_pages, subscriber_routes
from tocsin.statuspage.published import Editions
from tocsin.telemetry.middleware import RequestDurations
from tocsin.web import ack, api_docs
from tocsin.web.headers import SecurityHeaders

#: Included after the inbound endpoints, which are the app's own routes
#: (:func:`tocsin.inbound.routes.add_routes`): alerts from monitoring tools are
#: the hottest path, matched before everything else.
ROUTERS = (
    health.router,
    metrics.router,
    users.router,
    tokens.router,
    jobs.router,
    audit.router,
    incidents.router,
    classify.router,
    alerts_api.router,
    *definitions.ROUTERS,
    *oncall.ROUTERS,
    paging_api.router,
    metrics_api.router,
    status_api.router,
    *postmortems_api.ROUTERS,
    subscriber_routes.router,
    subscriber_pages.router,
    status_drafting.router,
    status_public.router,
    status_public.pages_router,
    ack.router,
    api_docs.router,
)


def create_app(tocsin: Tocsin, *, start_engine: bool = True) -> FastAPI:
    """Build the app around an opened :class:`Tocsin`; the app owns it from then on."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_engine:
            tocsin.start()
        tune_collector()
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
    app.state.status_editions = Editions(tocsin.database, tocsin.clock)
    app.add_middleware(SecurityHeaders)
    # Added last, so outermost: it times the whole answer, headers included.
    app.add_middleware(RequestDurations)
    # The database refused or cancelled the transaction: retry later, not a bug.
    app.add_exception_handler(OperationalError, api_errors.database_unavailable)
    app.add_exception_handler(RequestValidationError, api_errors.invalid_request)
    app.add_exception_handler(Refusal, api_errors.refused)
    inbound_api.add_routes(app.router)
    for router in ROUTERS:
        app.include_router(router)
    console.install(app, tocsin.database)
    api_docs.mount_assets(app)
    app.mount(
        "/static",
        StaticFiles(directory=Path(__file__).parent.parent / "web" / "static"),
        name="static",
    )
    return app
