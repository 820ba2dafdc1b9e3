"""Moving a postmortem through review: submit, approve or request changes, publish, close.

The rules are :mod:`tocsin.domain.postmortem_workflow`'s; here each move is
applied in the caller's transaction (the postmortem found with
:func:`tocsin.postmortems.finding.find` and ``lock=True``), recorded as a
version with its entry on the incident's timeline, and refused (409, or 422
naming the field) before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.auth.accounts import find_user
from tocsin.domain import postmortem_workflow as rules
from tocsin.domain.postmortem_document import Change
from tocsin.domain.postmortem_workflow import (
    ItemStatus,
    Stage,
    Verdict,
    WorkflowError,
)
from tocsin.domain.refusals import Conflict, Forbidden, Invalid
from tocsin.postmortems import versions
from tocsin.postmortems.editing import check_version
from tocsin.postmortems.tables import ActionItem, Postmortem, PostmortemReviewer


def _refused(error: WorkflowError, postmortem: Postmortem) -> Exception:
    if error.field is not None:
        return Invalid(error.field, str(error))
    return Conflict(f"{postmortem.reference}: {error}")


def reviewers(session: Session, postmortem: Postmortem) -> list[PostmortemReviewer]:
    return list(
        session.scalars(
            select(PostmortemReviewer)
            .where(PostmortemReviewer.postmortem_id == postmortem.id)
            .order_by(PostmortemReviewer.user_name)
        )
    )


def _verdicts(rows: Sequence[PostmortemReviewer]) -> dict[str, Verdict]:
    return {row.user_name: Verdict(row.verdict) for row in rows}


def _move(postmortem: Postmortem, stage: Stage) -> Change:
    change = Change("status", postmortem.status, stage.value)
    postmortem.status = stage.value
    return change


def submit(
    session: Session,
    postmortem: Postmortem,
    named: Sequence[str],
    *,
    author: str,
    now: datetime,
    expected_version: int | None = None,
) -> Postmortem:
    """Ask ``named`` to review the draft; every earlier verdict is forgotten."""
    check_version(postmortem, expected_version)
    try:
        chosen = rules.check_submit(Stage(postmortem.status), named, author)
    except WorkflowError as error:
        raise _refused(error, postmortem) from error
    for index, name in enumerate(chosen):
        if find_user(session, name) is None:
            raise Invalid(f"reviewers.{index}", f"no user {name!r}")
    session.execute(
        delete(PostmortemReviewer).where(PostmortemReviewer.postmortem_id == postmortem.id)
    )
    session.add_all(
        PostmortemReviewer(
            postmortem_id=postmortem.id,
            user_name=name,
            verdict=Verdict.PENDING.value,
            requested_at=now,
            requested_by=author,
        )
        for name in chosen
    )
    postmortem.submitted_at = now
    versions.record(
        session,
        postmortem,
        author=author,
        action="submitted",
        said=f"submitted for review by {', '.join(chosen)}",
        now=now,
        changes=[_move(postmortem, Stage.IN_REVIEW), Change("reviewers", None, chosen)],
    )
    return postmortem


def review(
    session: Session,
    postmortem: Postmortem,
    verdict: Verdict,
    comment: str,
    *,
    reviewer: str,
    now: datetime,
) -> Postmortem:
    """Record ``reviewer``'s verdict; a request for changes (with a comment) makes it a draft."""
    rows = reviewers(session, postmortem)
    try:
        rules.check_review(Stage(postmortem.status), _verdicts(rows), reviewer)
    except WorkflowError as error:
        raise (
            Forbidden(f"{postmortem.reference}: {error}")
            if postmortem.status == Stage.IN_REVIEW
            else _refused(error, postmortem)
        ) from error
    text = comment.strip()
    if verdict is Verdict.CHANGES_REQUESTED and not text:
        raise Invalid("comment", "say what should change")
    row = next(row for row in rows if row.user_name == reviewer)
    changes = [Change(f"reviewers.{reviewer}", row.verdict, verdict.value)]
    row.verdict, row.comment, row.decided_at = verdict.value, text or None, now
    stage = rules.after_review(verdict)
    if stage.value != postmortem.status:
        changes.append(_move(postmortem, stage))
    said = "approved" if verdict is Verdict.APPROVED else "sent back for changes"
    waiting = rules.waiting_for(_verdicts(rows))
    if verdict is Verdict.APPROVED:
        said += f" by {reviewer}" + (
            f"; waiting for {', '.join(waiting)}" if waiting else "; every reviewer approved"
        )
    else:
        said += f" by {reviewer}"
    versions.record(
        session,
        postmortem,
        author=reviewer,
        action=verdict.value,
        said=said,
        now=now,
        changes=changes,
        comment=text or None,
    )
    return postmortem


def publish(
    session: Session,
    postmortem: Postmortem,
    *,
    author: str,
    now: datetime,
    expected_version: int | None = None,
) -> Postmortem:
    """Publish a postmortem every reviewer approved; closed at once when nothing is left to do."""
    check_version(postmortem, expected_version)
    try:
        rules.check_publish(Stage(postmortem.status), _verdicts(reviewers(session, postmortem)))
    except WorkflowError as error:
        raise _refused(error, postmortem) from error
    postmortem.published_at = now
    versions.record(
        session,
        postmortem,
        author=author,
        action="published",
        said="published",
        now=now,
        changes=[_move(postmortem, Stage.PUBLISHED)],
    )
    settle(session, postmortem, author=author, now=now)
    return postmortem


def item_statuses(session: Session, postmortem: Postmortem) -> list[ItemStatus]:
    return [
        ItemStatus(status)
        for status in session.scalars(
            select(ActionItem.status).where(ActionItem.postmortem_id == postmortem.id)
        )
    ]


def settle(session: Session, postmortem: Postmortem, *, author: str, now: datetime) -> None:
    """Close a published postmortem whose action items are all finished; reopen one that is not."""
    stage = rules.settled(Stage(postmortem.status), item_statuses(session, postmortem))
    if stage.value == postmortem.status:
        return
    closing = stage is Stage.CLOSED
    postmortem.closed_at = now if closing else None
    versions.record(
        session,
        postmortem,
        author=author,
        action="closed" if closing else "reopened",
        said=(
            "closed: every action item is done or won't be done"
            if closing
            else "published again: an action item is open"
        ),
        now=now,
        changes=[_move(postmortem, stage)],
    )
