"""The status page's subscribers in the console, and their deliveries (admins only).

Email addresses are personal data: only admins see this list. Webhook
addresses show their host only, and no secret is ever shown. Removing a
subscriber forgets it and its delivery log; a webhook disabled after repeated
failures can be enabled again. Each update's page lists who it was told to;
each subscriber's, what it was told (updates, and for webhooks the component
status changes), newest first. Adding and importing subscribers is done
through the API (``POST /api/v1/status-page/subscribers``, ``.../subscribers.csv``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.status_fields import SHARED
from tocsin.console.viewer import Administering, AdministeringPage
from tocsin.http.params import Cursor
from tocsin.http.runtime import RuntimeDep
from tocsin.statuspage import publishing, subscriber_lists, subscribers
from tocsin.statuspage.subscriber_links import link_key
from tocsin.statuspage.subscriber_routes import shown

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Code = Annotated[str, Path(max_length=16)]
Channel = Annotated[str | None, Query(pattern="^(email|webhook|slack|teams)$")]
PAGE_SIZE = 50
LIST = "/status-page/subscribers"


@router.get(LIST, response_class=HTMLResponse)
def listing(
    request: Request,
    viewer: AdministeringPage,
    tocsin: RuntimeDep,
    channel: Channel = None,
    cursor: Cursor = None,
) -> Response:
    key = link_key(tocsin.settings)
    with tocsin.database.sessions() as session:
        found = subscriber_lists.subscribers(
            session, channel=channel, limit=PAGE_SIZE, cursor=cursor
        )
        rows = [shown(row, key) for row in found.rows]
    context = {
        "subscribers": rows,
        "channel": channel,
        "channels": subscribers.CHANNELS,
        "next_cursor": found.next_cursor,
    }
    return page(request, "status/subscribers.html", viewer, context)


@router.post(f"{LIST}/{{code}}/remove", response_class=HTMLResponse)
def remove(code: Code, viewer: Administering, tocsin: RuntimeDep) -> Response:
    with tocsin.database.transaction() as session:
        found = subscribers.find(session, code, lock=True)
        subscribers.remove(session, found, actor=viewer.name, now=tocsin.clock.now())
    return RedirectResponse(LIST, status_code=status.HTTP_303_SEE_OTHER)


@router.post(f"{LIST}/{{code}}/enable", response_class=HTMLResponse)
def enable(code: Code, viewer: Administering, tocsin: RuntimeDep) -> Response:
    with tocsin.database.transaction() as session:
        found = subscribers.find(session, code, lock=True)
        subscribers.enable(session, found, actor=viewer.name, now=tocsin.clock.now())
    return RedirectResponse(LIST, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/status-page/updates/{code}/deliveries", response_class=HTMLResponse)
def deliveries(
    request: Request,
    viewer: AdministeringPage,
    tocsin: RuntimeDep,
    code: Code,
    cursor: Cursor = None,
) -> Response:
    with tocsin.database.sessions() as session:
        found = subscriber_lists.deliveries(session, code, limit=PAGE_SIZE, cursor=cursor)
        story = subscriber_lists.story_of(session, code)
    context = {
        "title": "Deliveries of an update",
        "heading": "Who the update was told to",
        "here": f"/status-page/updates/{code}/deliveries",
        "found": found,
        "story": story,
    }
    return page(request, "status/deliveries.html", viewer, context)


@router.get("/status-page/incidents/{code}/postmortem/deliveries", response_class=HTMLResponse)
def postmortem_deliveries(
    request: Request,
    viewer: AdministeringPage,
    tocsin: RuntimeDep,
    code: Code,
    cursor: Cursor = None,
) -> Response:
    """Who was told that the incident's postmortem is public."""
    with tocsin.database.sessions() as session:
        story = publishing.find(session, code)
        found = subscriber_lists.postmortem_deliveries(
            session, story, limit=PAGE_SIZE, cursor=cursor
        )
    context = {
        "title": "Deliveries of a postmortem",
        "heading": "Who was told the postmortem is public",
        "here": f"/status-page/incidents/{code}/postmortem/deliveries",
        "found": found,
        "story": story,
    }
    return page(request, "status/deliveries.html", viewer, context)


@router.get(f"{LIST}/{{code}}/deliveries", response_class=HTMLResponse)
def subscriber_deliveries(
    request: Request,
    viewer: AdministeringPage,
    tocsin: RuntimeDep,
    code: Code,
    cursor: Cursor = None,
) -> Response:
    key = link_key(tocsin.settings)
    with tocsin.database.sessions() as session:
        found = subscriber_lists.subscriber_deliveries(
            session, code, limit=PAGE_SIZE, cursor=cursor
        )
        subscriber = shown(found.subscriber, key)
    context = {**SHARED, "subscriber": subscriber, "found": found}
    return page(request, "status/subscriber_deliveries.html", viewer, context)
