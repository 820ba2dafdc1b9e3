"""Postmortems as the API answers them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from tocsin.db.audit import AuditEntry
from tocsin.domain.blameless import Flag
from tocsin.domain.postmortem_draft import why_key
from tocsin.domain.postmortem_workflow import FINISHED, ItemStatus
from tocsin.http.runtime import Runtime
from tocsin.incidents.tables import Incident
from tocsin.postmortems import (
    action_items,
    facts,
    finding,
    language,
    meetings,
    public,
    tracker_push,
    workflow,
)
from tocsin.postmortems.schemas import (
    ActionItemOut,
    AttendeeOut,
    CandidateOut,
    ChangeOut,
    FlagOut,
    HistoryOut,
    MeetingOut,
    PostmortemOut,
    ReviewerOut,
    TrackerLinkOut,
    VersionOut,
)
from tocsin.postmortems.tables import (
    CLOSED,
    PUBLISHED,
    ActionItem,
    Postmortem,
    PostmortemVersion,
    ReviewMeeting,
    TrackerLink,
)


def overdue(postmortem: Postmortem, now: datetime) -> bool:
    """Not yet published and past its due date."""
    return postmortem.status not in (PUBLISHED, CLOSED) and now > postmortem.due_at


def flag_out(flag: Flag) -> FlagOut:
    return FlagOut(
        rule=flag.rule,
        field=flag.field,
        sentence=flag.sentence,
        matched=flag.matched,
        start=flag.start,
        end=flag.end,
        explanation=flag.explanation,
        alternative=flag.alternative,
    )


def postmortem_out(
    session: Session, postmortem: Postmortem, now: datetime, *, flags: bool = True
) -> PostmortemOut:
    """The API's answer; ``flags`` runs the language check (left out of lists)."""
    incident = session.get(Incident, postmortem.incident_id)
    return PostmortemOut(
        reference=postmortem.reference,
        incident=incident_reference(incident, postmortem),
        status=postmortem.status,
        required=postmortem.required,
        template=postmortem.template,
        owner=postmortem.owner,
        due_at=postmortem.due_at,
        overdue=overdue(postmortem, now),
        version=postmortem.version,
        created_at=postmortem.created_at,
        created_by=postmortem.created_by,
        updated_at=postmortem.updated_at,
        submitted_at=postmortem.submitted_at,
        published_at=postmortem.published_at,
        closed_at=postmortem.closed_at,
        public_at=postmortem.public_at,
        public_notified_at=(
            public.subscribers_told(session, postmortem)
            if postmortem.published_at is not None
            else None
        ),
        reviewers=[
            ReviewerOut(
                user=row.user_name,
                verdict=row.verdict,
                comment=row.comment,
                requested_at=row.requested_at,
                decided_at=row.decided_at,
            )
            for row in workflow.reviewers(session, postmortem)
        ],
        action_items=items_out(session, postmortem, now, incident_reference(incident, postmortem)),
        meeting=meeting_out(meetings.meeting_of(session, postmortem)),
        flags=(
            [flag_out(f) for f in language.check_document(session, postmortem.content)]
            if flags
            else None
        ),
        document=postmortem.content,
    )


class Change(Protocol):
    """A change made to a locked postmortem by ``author`` at ``now``."""

    def __call__(
        self, session: Session, postmortem: Postmortem, *, author: str, now: datetime
    ) -> object: ...


def changed(tocsin: Runtime, reference: str, change: Change, *, author: str) -> PostmortemOut:
    """Postmortem ``reference`` locked, changed by ``author`` now, then as it is."""
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        postmortem = finding.find(session, reference, lock=True)
        change(session, postmortem, author=author, now=now)
        return postmortem_out(session, postmortem, now)


def incident_reference(incident: Incident | None, postmortem: Postmortem) -> str:
    return incident.reference if incident is not None else f"INC-{postmortem.incident_id}"


def items_out(
    session: Session, postmortem: Postmortem, now: datetime, incident: str
) -> list[ActionItemOut]:
    """The postmortem's action items, each with its issues in trackers."""
    items = action_items.listing(session, postmortem)
    links = tracker_push.links_of(session, [item.id for item in items])
    return [
        action_item_out(item, now, postmortem.reference, incident, links.get(item.id, ()))
        for item in items
    ]


def action_item_out(
    item: ActionItem,
    now: datetime,
    postmortem: str | None,
    incident: str | None,
    links: Sequence[TrackerLink] = (),
) -> ActionItemOut:
    finished = ItemStatus(item.status) in FINISHED
    return ActionItemOut(
        reference=item.reference,
        id=item.id,
        postmortem=postmortem,
        incident=incident,
        description=item.description,
        owner=item.owner,
        priority=item.priority,
        type=item.type,
        due_date=item.due_date,
        team=item.team,
        status=item.status,
        reason=item.reason,
        overdue=not finished and item.due_date is not None and item.due_date < now.date(),
        created_at=item.created_at,
        created_by=item.created_by,
        updated_at=item.updated_at,
        done_at=item.done_at,
        trackers=[
            TrackerLinkOut(
                tracker=link.tracker,
                state=link.state,
                key=link.key,
                url=link.url,
                error=link.error,
                updated_at=link.updated_at,
            )
            for link in links
        ],
    )


def items_of(session: Session, items: Sequence[ActionItem], now: datetime) -> list[ActionItemOut]:
    """Action items, whatever they are linked to, each with its issues in trackers."""
    links = tracker_push.links_of(session, [item.id for item in items])
    return [
        action_item_out(
            item,
            now,
            f"PM-{item.postmortem_id}" if item.postmortem_id is not None else None,
            f"INC-{item.incident_id}" if item.incident_id is not None else None,
            links.get(item.id, ()),
        )
        for item in items
    ]


def item_out(session: Session, item: ActionItem, now: datetime) -> ActionItemOut:
    """An action item, whatever it is linked to, with its issues in trackers."""
    return items_of(session, [item], now)[0]


def history_out(entry: AuditEntry) -> HistoryOut:
    detail = entry.detail or {}
    return HistoryOut(
        at=entry.at,
        author=entry.actor,
        action=entry.action,
        said=str(detail.get("said", "")),
        changes=list(detail.get("changes", [])),
        comment=detail.get("comment"),
    )


def meeting_out(meeting: ReviewMeeting | None) -> MeetingOut | None:
    if meeting is None:
        return None
    return MeetingOut(
        uid=meeting.uid,
        sequence=meeting.sequence,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        location=meeting.location,
        organizer=meeting.organizer,
        attendees=[AttendeeOut(**person) for person in meeting.attendees],
    )


def candidates(session: Session, postmortem: Postmortem) -> list[CandidateOut]:
    """Every entry of the incident's timeline, marked when the document's timeline has it."""
    chosen = {item.get("sequence") for item in postmortem.content.get("timeline", [])}
    return [
        CandidateOut(
            sequence=entry.sequence,
            at=entry.occurred_at,
            kind=entry.note_kind.value if entry.note_kind else entry.kind.value,
            text=entry.text,
            author=entry.author,
            selected=entry.sequence in chosen,
            key=why_key(entry),
        )
        for entry in facts.timeline(session, postmortem.incident_id)
    ]


def version_out(version: PostmortemVersion) -> VersionOut:
    return VersionOut(
        version=version.version,
        at=version.at,
        author=version.author,
        action=version.action,
        comment=version.comment,
        changes=[ChangeOut(**change) for change in version.changes],
    )
