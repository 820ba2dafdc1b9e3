"""The postmortem workflow's API: review, publish, action items, the review meeting.

Responders act; a review is made by a named reviewer (anyone else: 403).
Every move is one transaction with its version and its entry on the
incident's timeline; a refused one (403, 404, 409, 422 naming the field)
changes nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from tocsin.auth.deps import Responder, Viewer
from tocsin.domain.postmortem_workflow import Verdict
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import MAX_INTEGER
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents.routes import READ_ERRORS, WRITE_ERRORS
from tocsin.notify.settings import NotifySettings
from tocsin.postmortems import action_items, finding, meetings, outputs, workflow
from tocsin.postmortems.outputs import changed
from tocsin.postmortems.schemas import (
    ActionItemChange,
    ActionItemIn,
    ActionItemOut,
    AttendeeOut,
    MeetingIn,
    MeetingOut,
    PostmortemOut,
    PublishIn,
    Reference,
    ReviewIn,
    SubmitIn,
)

router = APIRouter(prefix="/api/v1/postmortems", route_class=CheckedRoute, tags=["postmortems"])
ItemId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The action item's number")]
VERDICTS = {"approve": Verdict.APPROVED, "request_changes": Verdict.CHANGES_REQUESTED}


@router.post(
    "/{reference}/submit",
    response_model=PostmortemOut,
    summary="Submit the draft for review by named reviewers",
    description="Each reviewer then approves or requests changes; the submitter cannot "
    "review. Submitting again (after changes were requested) asks every reviewer anew.",
    responses=WRITE_ERRORS,
)
def submit(
    reference: Reference, body: SubmitIn, principal: Responder, tocsin: RuntimeDep
) -> PostmortemOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        postmortem = finding.find(session, reference, lock=True)
        workflow.submit(
            session,
            postmortem,
            body.reviewers,
            author=principal.name,
            now=now,
            expected_version=body.version,
        )
        return outputs.postmortem_out(session, postmortem, now)


@router.post(
    "/{reference}/reviews",
    response_model=PostmortemOut,
    summary="Approve, or request changes with a comment (a named reviewer)",
    description="A request for changes sends the postmortem back to draft.",
    responses=WRITE_ERRORS,
)
def review(
    reference: Reference, body: ReviewIn, principal: Responder, tocsin: RuntimeDep
) -> PostmortemOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        postmortem = finding.find(session, reference, lock=True)
        workflow.review(
            session,
            postmortem,
            VERDICTS[body.verdict],
            body.comment,
            reviewer=principal.name,
            now=now,
        )
        return outputs.postmortem_out(session, postmortem, now)


@router.post(
    "/{reference}/publish",
    response_model=PostmortemOut,
    summary="Publish a postmortem every reviewer approved",
    description="It closes at once when it has no action item left to do, else when its "
    "last action item is done or won't be done.",
    responses=WRITE_ERRORS,
)
def publish(
    reference: Reference, body: PublishIn, principal: Responder, tocsin: RuntimeDep
) -> PostmortemOut:
    change = partial(workflow.publish, expected_version=body.version)
    return changed(tocsin, reference, change, author=principal.name)


@router.get(
    "/{reference}/action-items",
    response_model=list[ActionItemOut],
    summary="The postmortem's action items",
    responses=READ_ERRORS,
)
def list_items(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> list[ActionItemOut]:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        return outputs.items_out(session, postmortem, now, f"INC-{postmortem.incident_id}")


@router.post(
    "/{reference}/action-items",
    status_code=201,
    response_model=ActionItemOut,
    summary="Add an action item",
    responses=WRITE_ERRORS,
)
def add_item(
    reference: Reference, body: ActionItemIn, principal: Responder, tocsin: RuntimeDep
) -> ActionItemOut:
    now = tocsin.clock.now()
    new = action_items.NewItem(**body.model_dump())
    with tocsin.database.transaction() as session:
        postmortem = finding.find(session, reference, lock=True)
        item = action_items.add(session, postmortem, new, author=principal.name, now=now)
        return outputs.item_out(session, item, now)


@router.patch(
    "/{reference}/action-items/{item_id}",
    response_model=ActionItemOut,
    summary="Change an action item: its owner, due date, status (won't do needs a reason)...",
    description="The postmortem closes when its last action item is done or won't be done, "
    "and is published again when one opens again.",
    responses=WRITE_ERRORS,
)
def change_item(
    reference: Reference,
    item_id: ItemId,
    body: ActionItemChange,
    principal: Responder,
    tocsin: RuntimeDep,
) -> ActionItemOut:
    now = tocsin.clock.now()
    given = body.model_dump(exclude_unset=True)
    with tocsin.database.transaction() as session:
        postmortem = finding.find(session, reference, lock=True)
        item = action_items.find(session, postmortem, item_id)
        action_items.change(session, postmortem, item, given, author=principal.name, now=now)
        return outputs.item_out(session, item, now)


@router.get(
    "/{reference}/meeting/attendees",
    response_model=list[AttendeeOut],
    summary="Who the review meeting would invite, and why",
    description="The incident's responders, the affected services' teams, the severity's "
    "stakeholders, the postmortem's owner and reviewers.",
    responses=READ_ERRORS,
)
def attendees(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> list[AttendeeOut]:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        return [AttendeeOut(**p.as_data()) for p in meetings.proposed(session, postmortem)]


@router.post(
    "/{reference}/meeting",
    response_model=MeetingOut,
    summary="Schedule (or move) the review meeting and email its invitation",
    description="Each attendee with an email address gets an iCalendar invitation "
    "(METHOD:REQUEST). Moving the meeting sends it again with a higher SEQUENCE.",
    responses=WRITE_ERRORS,
)
def schedule(
    reference: Reference, body: MeetingIn, principal: Responder, tocsin: RuntimeDep
) -> MeetingOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        postmortem = finding.find(session, reference, lock=True)
        meeting = meetings.schedule(
            session,
            postmortem,
            starts_at=body.starts_at,
            minutes=body.duration_minutes,
            location=body.location,
            names=body.attendees,
            author=principal.name,
            now=now,
        )
        shown = outputs.meeting_out(meeting)
    assert shown is not None
    return shown


@router.get(
    "/{reference}/meeting.ics",
    summary="The review meeting as an iCalendar invitation",
    responses={**READ_ERRORS, 200: {"content": {"text/calendar": {}}}},
)
def meeting_ics(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> Response:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        meeting = meetings.meeting_of(session, postmortem)
        if meeting is None:
            raise meetings.NoMeeting(f"{postmortem.reference} has no review meeting")
        smtp = NotifySettings.from_env().smtp
        sender = smtp.sender if smtp is not None else "tocsin@localhost"
        text = meetings.invitation(meeting, postmortem, sender, tocsin.clock.now())
    return Response(text, media_type="text/calendar")


ROUTERS = (router,)
