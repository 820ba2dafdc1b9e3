"""The subscriber API, for admins only: list, create, delete, enable, CSV export and import,
and the deliveries (of an update; of a subscriber, updates and component changes alike).

Email addresses are personal data, so every endpoint here needs an admin.
Listings never show a secret: webhook URLs (Slack's and Teams' carry their
secret in the path) show their host only, signing secrets their first
characters. A webhook subscriber's signing secret is in the answer that
creates it, and nowhere else.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from tocsin.auth.deps import Admin
from tocsin.domain.notification_rules import redact
from tocsin.domain.refusals import Invalid
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import Cursor
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents.schemas import ErrorOut, ValidationErrorOut
from tocsin.statuspage import (
    publishing,
    subscriber_csv,
    subscriber_links,
    subscriber_lists,
    subscribers,
)
from tocsin.statuspage.subscriber_lists import Told
from tocsin.statuspage.subscriber_schemas import (
    Channel,
    DeliveryOut,
    DeliveryPage,
    ImportOut,
    SubscriberCreated,
    SubscriberDeliveryOut,
    SubscriberDeliveryPage,
    SubscriberIn,
    SubscriberOut,
    SubscriberPage,
    ToldComponentOut,
    ToldPostmortemOut,
    ToldUpdateOut,
)
from tocsin.statuspage.subscribers import EMAIL, NewSubscriber
from tocsin.statuspage.tables import Subscriber

router = APIRouter(
    prefix="/api/v1/status-page", route_class=CheckedRoute, tags=["status page subscribers"]
)

Code = Annotated[str, Path(description="The subscriber's id", max_length=16)]
UpdateCode = Annotated[str, Path(description="The public update's id", max_length=16)]
IncidentCode = Annotated[str, Path(description="The public incident's id", max_length=16)]
CSV_EXAMPLE = "type,address,components\nemail,ada@example.com,Checkout;Search\n"


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


#: The refusals of the delivery listings.
LIST_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("Not authenticated"),
    403: _error("Only admins see subscribers and their deliveries"),
    422: {"model": ValidationErrorOut, "description": "The limit or the cursor is invalid"},
}


def shown(row: Subscriber, key: bytes) -> SubscriberOut:
    return SubscriberOut(
        id=row.code,
        channel=row.channel,
        address=row.address if row.channel == EMAIL else redact(row.address),
        page=row.page,
        components=[str(name) for name in row.components] if row.components is not None else None,
        owner_email=row.owner_email,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
        failures=row.failures,
        secret_hint=subscriber_links.hint(subscriber_links.webhook_secret(key, row.code))
        if row.channel == subscribers.WEBHOOK
        else None,
    )


@router.get("/subscribers", summary="Subscribers, newest first (admins only)")
def list_subscribers(
    _: Admin,
    tocsin: RuntimeDep,
    channel: Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> SubscriberPage:
    key = subscriber_links.link_key(tocsin.settings)
    with tocsin.database.sessions() as session:
        found = subscriber_lists.subscribers(session, channel=channel, limit=limit, cursor=cursor)
        return SubscriberPage(
            subscribers=[shown(row, key) for row in found.rows], next_cursor=found.next_cursor
        )


@router.post("/subscribers", status_code=201, summary="Add a subscriber (admins only)")
def create_subscriber(
    body: SubscriberIn, principal: Admin, tocsin: RuntimeDep
) -> SubscriberCreated:
    key = subscriber_links.link_key(tocsin.settings)
    new = NewSubscriber(
        channel=body.channel,
        address=body.address,
        page=body.page,
        components=body.components,
        owner_email=body.owner_email,
        confirmed=body.confirmed,
    )
    with tocsin.database.transaction() as session:
        row = subscribers.create(
            session, new, key=key, actor=principal.name, now=tocsin.clock.now()
        )
        out = shown(row, key)
    secret = subscriber_links.webhook_secret(key, row.code) if row.channel == "webhook" else None
    return SubscriberCreated(**out.model_dump(), secret=secret)


@router.delete("/subscribers/{code}", status_code=204, summary="Remove a subscriber")
def delete_subscriber(code: Code, principal: Admin, tocsin: RuntimeDep) -> None:
    with tocsin.database.transaction() as session:
        row = subscribers.find(session, code, lock=True)
        subscribers.remove(session, row, actor=principal.name, now=tocsin.clock.now())


@router.post("/subscribers/{code}/enable", summary="Enable a disabled subscriber again")
def enable_subscriber(code: Code, principal: Admin, tocsin: RuntimeDep) -> SubscriberOut:
    key = subscriber_links.link_key(tocsin.settings)
    with tocsin.database.transaction() as session:
        row = subscribers.find(session, code, lock=True)
        subscribers.enable(session, row, actor=principal.name, now=tocsin.clock.now())
        return shown(row, key)


@router.get(
    "/subscribers.csv",
    summary="Every subscriber as CSV (admins only)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_subscribers(_: Admin, tocsin: RuntimeDep) -> StreamingResponse:
    with tocsin.database.sessions() as session:
        rows = list(session.scalars(select(Subscriber).order_by(Subscriber.id)))
    headers = {"Content-Disposition": 'attachment; filename="subscribers.csv"'}
    return StreamingResponse(
        subscriber_csv.export(rows), media_type="text/csv; charset=utf-8", headers=headers
    )


@router.post(
    "/subscribers.csv",
    summary="Import subscribers from CSV: every row, or none when one is wrong",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        }
    },
)
async def import_subscribers(request: Request, principal: Admin, tocsin: RuntimeDep) -> ImportOut:
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("csv", "must be UTF-8 text") from None
    key = subscriber_links.link_key(tocsin.settings)

    def run() -> ImportOut:
        with tocsin.database.transaction() as session:
            done = subscriber_csv.import_csv(
                session, text, key=key, actor=principal.name, now=tocsin.clock.now()
            )
        return ImportOut(created=done.created, updated=done.updated, opt_in_sent=done.opt_in_sent)

    return await run_in_threadpool(run)


@router.get(
    "/updates/{code}/deliveries",
    summary="Who an update was told to, and how it went (admins only)",
    responses={**LIST_ERRORS, 404: _error("No such public update")},
)
def list_deliveries(
    code: UpdateCode,
    _: Admin,
    tocsin: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> DeliveryPage:
    with tocsin.database.sessions() as session:
        found = subscriber_lists.deliveries(session, code, limit=limit, cursor=cursor)
    return _page(found)


@router.get(
    "/incidents/{code}/postmortem/deliveries",
    summary="Who was told that an incident's postmortem is public, and how it went (admins only)",
    responses={**LIST_ERRORS, 404: _error("No such public incident")},
)
def list_postmortem_deliveries(
    code: IncidentCode,
    _: Admin,
    tocsin: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> DeliveryPage:
    with tocsin.database.sessions() as session:
        public = publishing.find(session, code)
        found = subscriber_lists.postmortem_deliveries(session, public, limit=limit, cursor=cursor)
    return _page(found)


def _page(found: subscriber_lists.Deliveries) -> DeliveryPage:
    return DeliveryPage(
        counts=found.counts,
        deliveries=[
            DeliveryOut(
                subscriber=owner.code,
                channel=owner.channel,
                state=row.state,
                attempts=row.attempts,
                last_error=row.last_error,
                created_at=row.created_at,
                sent_at=row.sent_at,
            )
            for row, owner in found.rows
        ],
        next_cursor=found.next_cursor,
    )


def _told(told: Told) -> SubscriberDeliveryOut:
    row = told.delivery
    return SubscriberDeliveryOut(
        kind=(
            "incident_update"
            if row.update_id is not None
            else "component_update"
            if row.component_change_id is not None
            else "postmortem"
        ),
        update=ToldUpdateOut(
            id=told.update.code,
            status=told.update.status,
            incident_id=told.update.incident_code,
            incident_name=told.update.incident_name,
        )
        if told.update
        else None,
        component_update=ToldComponentOut(
            component=told.change.component,
            old_status=told.change.old_status,
            new_status=told.change.new_status,
            changed_at=told.change.changed_at,
        )
        if told.change
        else None,
        postmortem=ToldPostmortemOut(
            incident_id=told.postmortem.incident_code,
            incident_name=told.postmortem.incident_name,
            title=told.postmortem.title,
        )
        if told.postmortem
        else None,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


@router.get(
    "/subscribers/{code}/deliveries",
    summary="What a subscriber was told, newest first: updates, component changes, postmortems",
    responses={**LIST_ERRORS, 404: _error("No such subscriber")},
)
def list_subscriber_deliveries(
    code: Code,
    _: Admin,
    tocsin: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
) -> SubscriberDeliveryPage:
    with tocsin.database.sessions() as session:
        found = subscriber_lists.subscriber_deliveries(session, code, limit=limit, cursor=cursor)
        return SubscriberDeliveryPage(
            subscriber=found.subscriber.code,
            channel=found.subscriber.channel,
            deliveries=[_told(told) for told in found.rows],
            next_cursor=found.next_cursor,
        )
