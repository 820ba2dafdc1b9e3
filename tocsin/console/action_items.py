"""Action items in the console: every item (mine, a team's, overdue, by status), one item.

The list has the form that creates an item directly (for an incident, or for
a team alone); each item's page has its edit form and its history (every
change and every reminder). Writes call the functions the API's routes call
and answer 303; a refused form is the console's refusal page with the same
status and sentence as the API's answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.config import known_names
from tocsin.config.organisation import TEAM
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn
from tocsin.domain.refusals import Invalid
from tocsin.http.runtime import RuntimeDep
from tocsin.postmortems import action_item_finding, action_items, outputs
from tocsin.postmortems.schemas import ActionItemChange, ActionItemCreate

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Reference = Annotated[str, Path(max_length=30)]
PAGE_SIZE = 50
STATUSES = ("open", "in_progress", "done", "wont_do")
PRIORITIES = ("P1", "P2", "P3")
TYPES = ("detect", "mitigate", "prevent", "process")


def see(where: str) -> RedirectResponse:
    return RedirectResponse(where, status_code=status.HTTP_303_SEE_OTHER)


def _day(value: str, field: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise Invalid(field, "must be a date (YYYY-MM-DD)") from None


def item_fields(
    description: str, owner: str, priority: str, kind: str, due_date: str, team: str
) -> dict[str, Any]:
    """An item's form fields as the API's body gives them (an empty one: none; a due date
    that is not one is refused naming ``due_date``)."""
    return {
        "description": description.strip(),
        "owner": owner or None,
        "priority": priority,
        "type": kind,
        "due_date": _day(due_date, "due_date"),
        "team": team or None,
    }


@router.get("/action-items", response_class=HTMLResponse)
def item_list(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    status_: Annotated[
        str, Query(alias="status", pattern="^(|open|in_progress|done|wont_do)$")
    ] = "",
    mine: Annotated[bool, Query()] = False,
    team: Annotated[str, Query(max_length=100)] = "",
    overdue: Annotated[bool, Query()] = False,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    now = tocsin.clock.now()
    filters = action_item_finding.Filters(
        owner=viewer.name if mine else None,
        team=team or None,
        statuses=(status_,) if status_ else (),
        overdue_on=now.date() if overdue else None,
    )
    with tocsin.database.sessions() as session:
        found, count = action_item_finding.search(session, filters, limit=PAGE_SIZE, cursor=cursor)
        context = {
            "items": outputs.items_of(session, found.rows, now),
            "count": count,
            "next_cursor": found.next_cursor,
            "statuses": STATUSES,
            "priorities": PRIORITIES,
            "types": TYPES,
            "chosen": {"status": status_, "mine": mine, "team": team, "overdue": overdue},
            "people": known_names.users(session),
            "teams": known_names.defined(session, TEAM),
        }
    return page(request, "action_items/list.html", viewer, context)


@router.post("/action-items", response_class=HTMLResponse)
def create_item(
    viewer: Responding,
    tocsin: RuntimeDep,
    description: Annotated[str, Form(max_length=2000)] = "",
    owner: Annotated[str, Form(max_length=100)] = "",
    priority: Annotated[str, Form(max_length=2)] = "P2",
    kind: Annotated[str, Form(alias="type", max_length=10)] = "prevent",
    due_date: Annotated[str, Form(max_length=10)] = "",
    team: Annotated[str, Form(max_length=100)] = "",
    incident: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    fields = item_fields(description, owner, priority, kind, due_date, team)
    body = ActionItemCreate.model_validate({**fields, "incident": incident.strip() or None})
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        item = action_items.create(session, body.model_dump(), author=viewer.name, now=now)
        reference = item.reference
    return see(f"/action-items/{reference}")


@router.get("/action-items/{reference}", response_class=HTMLResponse)
def item_page(
    request: Request, viewer: SignedIn, tocsin: RuntimeDep, reference: Reference
) -> Response:
    with tocsin.database.sessions() as session:
        item, _postmortem = action_item_finding.find(session, reference)
        context = {
            "item": outputs.item_out(session, item, tocsin.clock.now()),
            "history": [
                outputs.history_out(entry)
                for entry in reversed(action_item_finding.history(session, item))
            ],
            "statuses": STATUSES,
            "priorities": PRIORITIES,
            "types": TYPES,
            "people": known_names.users(session),
            "teams": known_names.defined(session, TEAM),
        }
    return page(request, "action_items/item.html", viewer, context)


@router.post("/action-items/{reference}", response_class=HTMLResponse)
def change_item(
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    description: Annotated[str, Form(max_length=2000)],
    status_: Annotated[str, Form(alias="status", max_length=20)],
    owner: Annotated[str, Form(max_length=100)] = "",
    priority: Annotated[str, Form(max_length=2)] = "P2",
    kind: Annotated[str, Form(alias="type", max_length=10)] = "prevent",
    due_date: Annotated[str, Form(max_length=10)] = "",
    team: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    fields = item_fields(description, owner, priority, kind, due_date, team)
    body = ActionItemChange.model_validate(
        {**fields, "status": status_, "reason": reason.strip() or None}
    )
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        item, postmortem = action_item_finding.find(session, reference, lock=True)
        given = body.model_dump(exclude_unset=True)
        action_items.change(session, postmortem, item, given, author=viewer.name, now=now)
        target = item.reference
    return see(f"/action-items/{target}")
