"""A postmortem's workflow and its action items: who may move what where.

A postmortem goes **draft → in review → published → closed**:

- *submit* (draft → in review) names one or more reviewers, none of them the
  person submitting (nobody reviews their own work);
- each named reviewer *approves* or *requests changes* with a comment; a
  request for changes sends it back to draft, where it is edited and
  submitted again, and every reviewer is asked again;
- *publish* (in review → published) once every reviewer has approved;
- it is *closed* when it is published and every action item is done or won't
  be done (one published without action items closes at once); an action item
  reopened, or a new one, makes a closed postmortem published again.

An **action item** has a priority (P1 to P3), a type (detect, mitigate,
prevent, process) and a status: open, in progress, done, or won't do, which
needs a reason. Any status may follow any other; done and won't do are
*finished*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    CLOSED = "closed"


class Verdict(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"


FINISHED = frozenset({ItemStatus.DONE, ItemStatus.WONT_DO})
PRIORITIES = ("P1", "P2", "P3")
ITEM_TYPES = ("detect", "mitigate", "prevent", "process")


class WorkflowError(ValueError):
    """A move the workflow refuses; ``field`` names the field at fault (None: the state is)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAReviewer(WorkflowError):
    """Someone not named as a reviewer tried to review."""


def _words(stage: Stage) -> str:
    return stage.value.replace("_", " ")


def check_submit(stage: Stage, reviewers: Iterable[str], submitter: str) -> list[str]:
    """The reviewers of a submission, distinct and in order; refuses what the rules refuse."""
    if stage is not Stage.DRAFT:
        raise WorkflowError(f"only a draft is submitted for review; this one is {_words(stage)}")
    named = list(dict.fromkeys(name.strip() for name in reviewers if name.strip()))
    if not named:
        raise WorkflowError("name at least one reviewer", "reviewers")
    if submitter in named:
        raise WorkflowError(
            f"{submitter} cannot review a postmortem they submit; name someone else", "reviewers"
        )
    return named


def check_review(stage: Stage, verdicts: Mapping[str, Verdict], reviewer: str) -> None:
    if stage is not Stage.IN_REVIEW:
        raise WorkflowError(f"only a postmortem in review is reviewed; this one is {_words(stage)}")
    if reviewer not in verdicts:
        named = ", ".join(sorted(verdicts)) or "nobody"
        raise NotAReviewer(f"{reviewer} is not a reviewer of it; its reviewers: {named}")


def after_review(verdict: Verdict) -> Stage:
    """Where a review leaves the postmortem: back to draft when changes are requested."""
    return Stage.DRAFT if verdict is Verdict.CHANGES_REQUESTED else Stage.IN_REVIEW


def waiting_for(verdicts: Mapping[str, Verdict]) -> list[str]:
    """The reviewers who have not approved yet."""
    return sorted(name for name, verdict in verdicts.items() if verdict is not Verdict.APPROVED)


def check_publish(stage: Stage, verdicts: Mapping[str, Verdict]) -> None:
    if stage is not Stage.IN_REVIEW:
        raise WorkflowError(f"a postmortem is published once reviewed; this one is {_words(stage)}")
    pending = waiting_for(verdicts)
    if pending:
        raise WorkflowError(f"waiting for the approval of {', '.join(pending)}")


def settled(stage: Stage, items: Iterable[ItemStatus]) -> Stage:
    """Closed when published with every action item finished; published again when not."""
    if stage not in (Stage.PUBLISHED, Stage.CLOSED):
        return stage
    return Stage.CLOSED if all(item in FINISHED for item in items) else Stage.PUBLISHED


@dataclass(frozen=True)
class ItemChange:
    status: ItemStatus
    reason: str | None


def change_item(target: str, reason: str | None) -> ItemChange:
    """An action item's new status; won't do needs a reason, the others keep none."""
    try:
        status = ItemStatus(target)
    except ValueError:
        known = ", ".join(s.value for s in ItemStatus)
        raise WorkflowError(
            f"unknown status {target!r}; expected one of: {known}", "status"
        ) from None
    text = (reason or "").strip()
    if status is ItemStatus.WONT_DO and not text:
        raise WorkflowError("say why it won't be done", "reason")
    return ItemChange(status, text if status is ItemStatus.WONT_DO else None)
