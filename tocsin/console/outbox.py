"""The outbox: messages recorded instead of sent (``TOCSIN_DELIVERY=outbox``, the demo).

Admins see every message; everyone else their own.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import SignedIn
from tocsin.http.runtime import RuntimeDep
from tocsin.notify import outbox
from tocsin.notify.settings import NotifySettings

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

#: How many messages the outbox page shows, newest first.
OUTBOX_SHOWN = 100


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, viewer: SignedIn, tocsin: RuntimeDep) -> Response:
    everyone = viewer.is_admin
    with tocsin.database.sessions() as session:
        messages = outbox.listing(
            session, user=None if everyone else viewer.name, limit=OUTBOX_SHOWN
        )
    return page(
        request,
        "escalations/outbox.html",
        viewer,
        {
            "messages": messages,
            "everyone": everyone,
            "outbox_mode": NotifySettings.from_env().outbox,
        },
    )
