"""A postmortem's workflow in the console: review, publish, action items, the review meeting.

Each form posts to its own address and comes back to the postmortem's page
(303); a refused one shows that page with the same status and sentence as
the API's answer. Every change calls the function the API's route calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tocsin.console.action_items import item_fields
from tocsin.console.fields import local_instant
from tocsin.console.postmortems import path, see, show
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.viewer import Responding, Viewer
from tocsin.domain.postmortem_workflow import Verdict
from tocsin.domain.refusals import Refusal
from tocsin.http.runtime import Runtime, RuntimeDep
from tocsin.postmortems import action_items, finding, meetings, public, workflow
from tocsin.postmortems.schemas import ActionItemChange, ActionItemIn
from tocsin.postmortems.tables import Postmortem

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Reference = Annotated[str, Path(max_length=30)]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Act = Callable[[Session, Postmortem], object]


def _act(request: Request, viewer: Viewer, tocsin: Runtime, reference: str, act: Act) -> Response:
    """Run ``act`` on the locked postmortem; its page, or the page with the refusal."""
    try:
        with tocsin.database.transaction() as session:
            act(session, finding.find(session, reference, lock=True))
    except (Refusal, ValidationError) as refused:
        code, errors = explained(refused)
        return show(request, viewer, tocsin, reference, errors=errors, status_code=code)
    return see(path(reference))


@router.post("/postmortems/{reference}/submit", response_class=HTMLResponse)
def submit(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    version: Annotated[int, Form(ge=0)],
    reviewer: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
) -> Response:
    def act(session: Session, postmortem: Postmortem) -> object:
        return workflow.submit(
            session,
            postmortem,
            reviewer,
            author=viewer.name,
            now=tocsin.clock.now(),
            expected_version=version,
        )

    return _act(request, viewer, tocsin, reference, act)


@router.post("/postmortems/{reference}/review", response_class=HTMLResponse)
def review(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    verdict: Annotated[Literal["approve", "request_changes"], Form()],
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    chosen = Verdict.APPROVED if verdict == "approve" else Verdict.CHANGES_REQUESTED

    def act(session: Session, postmortem: Postmortem) -> object:
        return workflow.review(
            session, postmortem, chosen, comment, reviewer=viewer.name, now=tocsin.clock.now()
        )

    return _act(request, viewer, tocsin, reference, act)


@router.post("/postmortems/{reference}/publish", response_class=HTMLResponse)
def publish(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    version: Annotated[int, Form(ge=0)],
) -> Response:
    def act(session: Session, postmortem: Postmortem) -> object:
        return workflow.publish(
            session,
            postmortem,
            author=viewer.name,
            now=tocsin.clock.now(),
            expected_version=version,
        )

    return _act(request, viewer, tocsin, reference, act)


@router.post("/postmortems/{reference}/public", response_class=HTMLResponse)
def make_public(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    notify: Annotated[bool, Form()] = False,
) -> Response:
    """Publish the public version on the status page, or refresh it there; ``notify`` tells
    its subscribers (once)."""

    def act(session: Session, postmortem: Postmortem) -> object:
        return public.make_public(
            session, postmortem, author=viewer.name, now=tocsin.clock.now(), notify=notify
        )

    return _act(request, viewer, tocsin, reference, act)


@router.post("/postmortems/{reference}/public/withdraw", response_class=HTMLResponse)
def withdraw_public(
    request: Request, viewer: Responding, tocsin: RuntimeDep, reference: Reference
) -> Response:
    def act(session: Session, postmortem: Postmortem) -> None:
        public.withdraw(session, postmortem, author=viewer.name, now=tocsin.clock.now())

    return _act(request, viewer, tocsin, reference, act)


@router.post("/postmortems/{reference}/action-items", response_class=HTMLResponse)
def add_item(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    description: Annotated[str, Form(max_length=2000)] = "",
    owner: Annotated[str, Form(max_length=100)] = "",
    priority: Annotated[str, Form(max_length=2)] = "P2",
    kind: Annotated[str, Form(alias="type", max_length=10)] = "prevent",
    due_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    def act(session: Session, postmortem: Postmortem) -> object:
        fields = item_fields(description, owner, priority, kind, due_date, team="")
        body = ActionItemIn.model_validate(fields)
        new = action_items.NewItem(**body.model_dump())
        return action_items.add(
            session, postmortem, new, author=viewer.name, now=tocsin.clock.now()
        )

    return _act(request, viewer, tocsin, reference, act)


@router.post("/postmortems/{reference}/action-items/{item_id}", response_class=HTMLResponse)
def change_item(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    item_id: ItemId,
    status: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def act(session: Session, postmortem: Postmortem) -> object:
        body = ActionItemChange.model_validate({"status": status, "reason": reason or None})
        item = action_items.find(session, postmortem, item_id)
        given = body.model_dump(exclude_unset=True)
        return action_items.change(
            session, postmortem, item, given, author=viewer.name, now=tocsin.clock.now()
        )

    return _act(request, viewer, tocsin, reference, act)


@router.post("/postmortems/{reference}/meeting", response_class=HTMLResponse)
def schedule(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    starts_at: Annotated[str, Form(max_length=40)],
    minutes: Annotated[int, Form(ge=15, le=480)] = 60,
    location: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Schedule the review meeting with the proposed attendees (typed in the viewer's zone)."""

    def act(session: Session, postmortem: Postmortem) -> object:
        return meetings.schedule(
            session,
            postmortem,
            starts_at=local_instant(starts_at, viewer, "starts_at"),
            minutes=minutes,
            location=location.strip(),
            names=None,
            author=viewer.name,
            now=tocsin.clock.now(),
        )

    return _act(request, viewer, tocsin, reference, act)
