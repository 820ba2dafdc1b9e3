"""The public status API and feeds: Statuspage's ``/api/v2/*.json``, ``history.atom|rss``.

The main page's answers live at the root (``/api/v2/summary.json``, as on a
Statuspage host); another page's under its own address
(``/status/partners/api/v2/summary.json``). No login is needed unless the
page is private; answers come from the page's current edition
(:mod:`tocsin.statuspage.published`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from tocsin.auth.deps import authenticate, remote_addr
from tocsin.domain.refusals import Forbidden, NotFound
from tocsin.http.runtime import runtime_of
from tocsin.statuspage import feeds, public_pages, reading
from tocsin.statuspage.audiences import MAIN
from tocsin.statuspage.published import Edition, Editions
from tocsin.statuspage.statuspage_api import Shapes

router = APIRouter(tags=["status page (public)"])
pages_router = APIRouter(include_in_schema=False)

DOCUMENTS = (
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Code = Annotated[str, Path(pattern=r"^[a-z0-9]{1,16}$")]
Month = Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2026-06"])]
ASSETS = ("status.css", "status.js")
#: How many months the history page links to.
HISTORY_MONTHS = 12


def editions(request: Request) -> Editions:
    found: Editions = request.app.state.status_editions
    return found


def base_url(request: Request, edition: Edition) -> str:
    """Where readers reach the page: the configured URL, Tocsin's public URL, or this request's."""
    configured = edition.snapshot.settings.url
    if configured:
        return configured.rstrip("/")
    public = runtime_of(request).settings.public_url
    return public or str(request.base_url).rstrip("/")


def _signed_in(request: Request) -> bool:
    try:
        authenticate(request, runtime_of(request))
    except HTTPException:
        return False
    return True


def readable(request: Request, slug: str) -> Edition:
    """The page's edition, if this reader may read it."""
    edition = editions(request).current(slug)
    audience = edition.snapshot.audience
    signed_in = audience.access == "login" and _signed_in(request)
    if audience.access == "login" and not signed_in:
        raise HTTPException(401, detail="this status page is private: log in to Tocsin")
    if not audience.admits(remote_addr(request), signed_in=signed_in):
        raise Forbidden("this status page is not open to your address")
    return edition


def cached(edition: Edition, body: bytes, media_type: str) -> Response:
    private = edition.snapshot.audience.access == "login" or edition.snapshot.audience.allow
    headers = {"Cache-Control": "private, no-store" if private else "public, max-age=1"}
    return Response(body, media_type=media_type, headers=headers)


def _document(request: Request, slug: str, name: str) -> Response:
    if name not in DOCUMENTS:
        raise NotFound(f"no status API document {name!r}; documents: {', '.join(DOCUMENTS)}")
    edition = readable(request, slug)
    base = base_url(request, edition)

    def render() -> bytes:
        documents = Shapes(edition.snapshot, base).documents()
        return json.dumps(documents[name], separators=(",", ":")).encode()

    return cached(edition, edition.output(name, base, render), "application/json")


def _feed(request: Request, slug: str, name: str, media_type: str) -> Response:
    edition = readable(request, slug)
    base = base_url(request, edition)
    build: Callable[[], bytes] = (
        (lambda: feeds.atom(edition.snapshot, base))
        if name == "atom"
        else (lambda: feeds.rss(edition.snapshot, base))
    )
    return cached(edition, edition.output(name, base, build), media_type)


@router.get("/api/v2/{name:path}", summary="Statuspage-compatible status of the main page")
def main_document(request: Request, name: str) -> Response:
    return _document(request, MAIN, name)


@router.get("/status/{slug}/api/v2/{name:path}", summary="Statuspage-compatible status of a page")
def page_document(request: Request, slug: Slug, name: str) -> Response:
    return _document(request, slug, name)


@router.get("/history.atom", summary="The main page's incident history as Atom")
def main_atom(request: Request) -> Response:
    return _feed(request, MAIN, "atom", "application/atom+xml")


@router.get("/history.rss", summary="The main page's incident history as RSS")
def main_rss(request: Request) -> Response:
    return _feed(request, MAIN, "rss", "application/rss+xml")


@router.get("/status/{slug}/history.atom", summary="A page's incident history as Atom")
def page_atom(request: Request, slug: Slug) -> Response:
    return _feed(request, slug, "atom", "application/atom+xml")


@router.get("/status/{slug}/history.rss", summary="A page's incident history as RSS")
def page_rss(request: Request, slug: Slug) -> Response:
    return _feed(request, slug, "rss", "application/rss+xml")


def _html(
    request: Request, slug: str, name: Callable[[Edition], str], render: Callable[[Edition], bytes]
) -> Response:
    """A page's HTML; a private page sends a reader who is not signed in to the login page."""
    try:
        edition = readable(request, slug)
    except HTTPException as error:
        if error.status_code != 401:
            raise
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    body = edition.output(name(edition), str(request.base_url), lambda: render(edition))
    return cached(edition, body, "text/html; charset=utf-8")


def _links(edition: Edition) -> public_pages.Links:
    return public_pages.live_links(edition.snapshot.audience.path)


def _page(request: Request, slug: str) -> Response:
    return _html(
        request, slug, lambda _: "page", lambda e: public_pages.page(e.snapshot, _links(e))
    )


def _months(last: date, count: int) -> list[date]:
    months = [last.replace(day=1)]
    while len(months) < count:
        previous = months[-1] - timedelta(days=1)
        months.append(previous.replace(day=1))
    return months


def _history(request: Request, slug: str, month: str | None) -> Response:
    def today(edition: Edition) -> date:
        snapshot = edition.snapshot
        return snapshot.generated_at.astimezone(snapshot.zone).date()

    def first(edition: Edition) -> date:
        return date.fromisoformat(f"{month}-01") if month else today(edition).replace(day=1)

    def render(edition: Edition) -> bytes:
        snapshot = edition.snapshot
        with runtime_of(request).database.sessions() as session:
            stories = reading.month(session, snapshot.audience, first(edition), snapshot.zone)
        months = _months(today(edition), HISTORY_MONTHS)
        return public_pages.history(snapshot, _links(edition), first(edition), stories, months)

    return _html(request, slug, lambda e: f"history:{first(e):%Y-%m}", render)


def _incident(request: Request, slug: str, code: str) -> Response:
    def render(edition: Edition) -> bytes:
        with runtime_of(request).database.sessions() as session:
            story = reading.one(session, edition.snapshot.audience, code)
        return public_pages.incident(edition.snapshot, _links(edition), story)

    return _html(request, slug, lambda _: f"incident:{code}", render)


def _postmortem(request: Request, slug: str, code: str) -> Response:
    def render(edition: Edition) -> bytes:
        with runtime_of(request).database.sessions() as session:
            story = reading.one(session, edition.snapshot.audience, code)
        if story.postmortem is None:
            raise NotFound(f"public incident {code!r} has no published postmortem")
        return public_pages.postmortem(edition.snapshot, _links(edition), story)

    return _html(request, slug, lambda _: f"postmortem:{code}", render)


@pages_router.get("/status-assets/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound(f"no status page asset {name!r}")
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(public_pages.STATIC / name, media_type=media)


@pages_router.get("/status")
def main_page(request: Request) -> Response:
    return _page(request, MAIN)


@pages_router.get("/status/history")
def main_history(request: Request, month: Month = None) -> Response:
    return _history(request, MAIN, month)


@pages_router.get("/status/incidents/{code}")
def main_incident(request: Request, code: Code) -> Response:
    return _incident(request, MAIN, code)


@pages_router.get("/status/incidents/{code}/postmortem")
def main_postmortem(request: Request, code: Code) -> Response:
    return _postmortem(request, MAIN, code)


@pages_router.get("/status/{slug}")
def other_page(request: Request, slug: Slug) -> Response:
    return _page(request, slug)


@pages_router.get("/status/{slug}/history")
def other_history(request: Request, slug: Slug, month: Month = None) -> Response:
    return _history(request, slug, month)


@pages_router.get("/status/{slug}/incidents/{code}")
def other_incident(request: Request, slug: Slug, code: Code) -> Response:
    return _incident(request, slug, code)


@pages_router.get("/status/{slug}/incidents/{code}/postmortem")
def other_postmortem(request: Request, slug: Slug, code: Code) -> Response:
    return _postmortem(request, slug, code)
