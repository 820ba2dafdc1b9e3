"""The API of calendar feeds: secret iCalendar URLs, and the feeds they open."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from tocsin.auth.deps import Viewer, remote_addr
from tocsin.domain.refusals import NotFound
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.oncall import feeds, ical, schedules
from tocsin.oncall.route_params import ERRORS, NO_NUL, ItemId, is_admin
from tocsin.oncall.tables import CalendarFeed

router = APIRouter(route_class=CheckedRoute, tags=["on-call"])


class FeedCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"schedule": "on-call-schedule"}, {"user": "engineer-a"}]},
    )

    schedule: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    user: str | None = Field(default=None, min_length=1, max_length=100, pattern=NO_NUL)


class FeedOut(BaseModel):
    id: int
    schedule: str | None
    user: str | None
    prefix: str = Field(description="The token's first characters, to tell feeds apart")
    created_by: str
    created_at: datetime


class FeedCreated(FeedOut):
    token: str = Field(description="Shown once; only its digest is stored")
    url: str = Field(description="Subscribe to this in a calendar app")


def _feed_out(session: Session, feed: CalendarFeed) -> FeedOut:
    schedule, user = feeds.subject(session, feed)
    return FeedOut(
        id=feed.id,
        schedule=schedule,
        user=user,
        prefix=feed.prefix,
        created_by=feed.created_by,
        created_at=feed.created_at,
    )


@router.post(
    "/api/v1/calendar-feeds",
    status_code=201,
    response_model=FeedCreated,
    summary="A secret iCalendar URL for a schedule or a person; the token is shown once",
    responses=ERRORS,
)
def create_feed(
    body: FeedCreate, principal: Viewer, tocsin: RuntimeDep, request: Request
) -> FeedCreated:
    with tocsin.database.transaction() as session:
        feed, token = feeds.create(
            session,
            schedule=body.schedule,
            user=body.user,
            actor=principal.name,
            admin=is_admin(principal),
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
        out = _feed_out(session, feed)
    url = str(request.url_for("calendar_feed", token=token))
    return FeedCreated(**out.model_dump(), token=token, url=url)


@router.get(
    "/api/v1/calendar-feeds",
    response_model=list[FeedOut],
    summary="Live feeds you created or that show your shifts (all of them for admins)",
    responses={401: ERRORS[401]},
)
def list_feeds(principal: Viewer, tocsin: RuntimeDep) -> list[FeedOut]:
    with tocsin.database.sessions() as session:
        found = feeds.listing(session, actor=principal.name, admin=is_admin(principal))
        return [_feed_out(session, feed) for feed in found]


@router.delete(
    "/api/v1/calendar-feeds/{feed_id}",
    status_code=204,
    summary="Revoke a feed: its URL answers 404 from now on",
    responses=ERRORS,
)
def revoke_feed(feed_id: ItemId, principal: Viewer, tocsin: RuntimeDep, request: Request) -> None:
    with tocsin.database.transaction() as session:
        feeds.revoke(
            session,
            feed_id,
            actor=principal.name,
            admin=is_admin(principal),
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )


@router.get(
    "/ical/{token}.ics",
    name="calendar_feed",
    summary="The iCalendar feed a token opens (no login: the token is the credential)",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"},
        404: {"description": "Unknown or revoked token"},
    },
)
def calendar_feed(
    token: Annotated[str, Path(max_length=100, pattern=NO_NUL)], tocsin: RuntimeDep
) -> Response:
    now = tocsin.clock.now()
    start, end = now - ical.FEED_PAST, now + ical.FEED_AHEAD
    with tocsin.database.sessions() as session:
        feed = feeds.find(session, token)
        if feed is None:
            raise NotFound("no such calendar feed")
        schedule, user = feeds.subject(session, feed)
        # Every override: shifts crossing the window's edges are given whole.
        if schedule is not None:
            loaded = [schedules.load(session, schedule)]
            title = f"On call: {schedule}"
        else:
            loaded = schedules.load_all(session)
            title = f"On call: {user}"
    body = ical.calendar(title, ical.feed_shifts(loaded, user, start, end), now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
