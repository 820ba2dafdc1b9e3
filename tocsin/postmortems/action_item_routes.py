"""The action item API: ``/api/v1/action-items``, every action item whatever it belongs to.

Viewers read; responders create and change. An item is created for an
incident (``INC-12``), a postmortem (``PM-3``, and so its incident), or
neither; it is named ``AI-7`` or ``7``. The list answers a JSON array, newest
first, and gives the next page in the ``Link`` and ``X-Next-Cursor`` headers.
A refused change (403, 404, 422 naming the field) changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.auth.deps import Responder, Viewer
from tocsin.domain.refusals import Invalid
from tocsin.http.checked import CheckedRoute
from tocsin.http.listing import link_next
from tocsin.http.params import Cursor
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import records
from tocsin.incidents.routes import READ_ERRORS, WRITE_ERRORS
from tocsin.postmortems import action_item_finding, action_items, finding, outputs
from tocsin.postmortems.schemas import (
    ActionItemChange,
    ActionItemCreate,
    ActionItemOut,
    HistoryOut,
    ItemStatus,
)

router = APIRouter(prefix="/api/v1/action-items", route_class=CheckedRoute, tags=["action items"])

#: An action item in a path: AI-7 or 7.
ItemReference = Annotated[
    str,
    Path(
        description="The action item's reference (AI-7) or number",
        examples=["AI-7"],
        max_length=30,
    ),
]
LISTED: dict[int | str, dict[str, Any]] = {
    401: READ_ERRORS[401],
    422: {"description": "A filter or the cursor is invalid; it is named"},
}


def _number(field: str, value: str | None) -> int | None:
    if value is None:
        return None
    number = (
        records.parse_reference(value) if field == "incident" else finding.parse_reference(value)
    )
    if number is None:
        raise Invalid(field, f"is not a reference, got {value!r}", where="query")
    return number


@router.get(
    "",
    response_model=list[ActionItemOut],
    summary="List action items, newest first",
    description='By cursor: when there are more, the Link header (rel="next") and '
    "X-Next-Cursor give the next page; send the cursor back as cursor. `status` may be "
    "repeated (any of them); `overdue=true` keeps those past their due date and not finished.",
    responses=LISTED,
)
def list_items(
    _: Viewer,
    tocsin: RuntimeDep,
    request: Request,
    response: Response,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    team: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[list[ItemStatus] | None, Query()] = None,
    overdue: Annotated[bool, Query()] = False,
    incident: Annotated[str | None, Query(max_length=30, examples=["INC-12"])] = None,
    postmortem: Annotated[str | None, Query(max_length=30, examples=["PM-3"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
) -> list[ActionItemOut]:
    now = tocsin.clock.now()
    filters = action_item_finding.Filters(
        owner=owner,
        team=team,
        statuses=tuple(status or ()),
        overdue_on=now.date() if overdue else None,
        incident_id=_number("incident", incident),
        postmortem_id=_number("postmortem", postmortem),
    )
    with tocsin.database.sessions() as session:
        found, _count = action_item_finding.search(session, filters, limit=limit, cursor=cursor)
        link_next(request, response, found.next_cursor)
        return outputs.items_of(session, found.rows, now)


@router.post(
    "",
    status_code=201,
    response_model=ActionItemOut,
    summary="Create an action item, for an incident, a postmortem, or neither",
    description="Its team defaults to the team owning the incident's first affected service. "
    "Its owner is reminded before it is due and while it is overdue.",
    responses={k: v for k, v in WRITE_ERRORS.items() if k not in (404, 409)},
)
def create_item(body: ActionItemCreate, principal: Responder, tocsin: RuntimeDep) -> ActionItemOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        item = action_items.create(session, body.model_dump(), author=principal.name, now=now)
        return outputs.item_out(session, item, now)


@router.get(
    "/{reference}", response_model=ActionItemOut, summary="One action item", responses=READ_ERRORS
)
def get_item(reference: ItemReference, _: Viewer, tocsin: RuntimeDep) -> ActionItemOut:
    with tocsin.database.sessions() as session:
        item, _postmortem = action_item_finding.find(session, reference)
        return outputs.item_out(session, item, tocsin.clock.now())


@router.patch(
    "/{reference}",
    response_model=ActionItemOut,
    summary="Change an action item: its status (won't do needs a reason), owner, due date...",
    description="Only the fields sent change. A postmortem closes when its last action item "
    "is done or won't be done, and is published again when one opens again.",
    responses={k: v for k, v in WRITE_ERRORS.items() if k != 409},
)
def change_item(
    reference: ItemReference, body: ActionItemChange, principal: Responder, tocsin: RuntimeDep
) -> ActionItemOut:
    now = tocsin.clock.now()
    given = body.model_dump(exclude_unset=True)
    with tocsin.database.transaction() as session:
        item, postmortem = action_item_finding.find(session, reference, lock=True)
        action_items.change(session, postmortem, item, given, author=principal.name, now=now)
        return outputs.item_out(session, item, now)


@router.get(
    "/{reference}/history",
    response_model=list[HistoryOut],
    summary="The item's history: every change and every reminder, oldest first",
    responses=READ_ERRORS,
)
def item_history(reference: ItemReference, _: Viewer, tocsin: RuntimeDep) -> list[HistoryOut]:
    with tocsin.database.sessions() as session:
        item, _postmortem = action_item_finding.find(session, reference)
        return [outputs.history_out(entry) for entry in action_item_finding.history(session, item)]


ROUTERS = (router,)
