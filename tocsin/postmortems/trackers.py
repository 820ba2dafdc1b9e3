"""Issue trackers action items are synced to: their configuration and what an adapter does.

Configuration (``issue_trackers:``, a mapping by name) says, for each tracker, its
``type`` (``webhook``, ``github`` or ``jira``) with that type's block of settings,
which items go to it (``teams``: none listed, every item) and how often its issues'
statuses are read back (``poll_minutes``). Secrets are never written in files:
each block names the environment variable that holds its token or signing secret,
read by the server when it talks to the tracker (:func:`secret`).

An adapter (:class:`Adapter`) creates an issue for an item, updates it when the
item changes, and reads its state back; ``tracker_webhook``, ``tracker_github``
and ``tracker_jira`` hold the three, ``tracker_push`` and ``tracker_sync`` the jobs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import Field, PlainValidator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config.catalog import Kind
from tocsin.config.fields import (
    EmailAddress,
    ObjectName,
    PositiveInteger,
    Spec,
    WebUrl,
    describe,
)
from tocsin.config.tables import Definition

ISSUE_TRACKER = "issue_tracker"
TrackerType = Literal["webhook", "github", "jira"]
#: An action item's statuses, as configuration maps trackers' statuses onto them.
ItemStatusName = Literal["open", "in_progress", "done", "wont_do"]
#: Jira's status categories (their ``key``).
CategoryName = Literal["new", "indeterminate", "done"]

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_REPOSITORY = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}")
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}")


def env_name(value: Any) -> str:
    if isinstance(value, str) and _ENV_NAME.fullmatch(value):
        return value
    raise ValueError(
        "must be the name of an environment variable (capital letters, digits and _), "
        f"got {describe(value)}"
    )


def repository(value: Any) -> str:
    if isinstance(value, str) and _REPOSITORY.fullmatch(value):
        return value
    raise ValueError(f"must be OWNER/REPOSITORY, such as acme/infra, got {describe(value)}")


def project_key(value: Any) -> str:
    if isinstance(value, str) and _PROJECT_KEY.fullmatch(value):
        return value
    raise ValueError(f"must be a Jira project key such as OPS, got {describe(value)}")


EnvName = Annotated[str, PlainValidator(env_name)]
Label = Annotated[str, Field(min_length=1, max_length=50)]


class WebhookTrackerConfig(Spec):
    """Tocsin POSTs signed JSON events to ``url``; the receiver may report statuses back."""

    url: WebUrl
    #: The environment variable holding the signing secret (both directions).
    secret_env: EnvName


class GitHubTrackerConfig(Spec):
    """GitHub Issues of one repository, through the REST API."""

    repository: Annotated[str, PlainValidator(repository)]
    #: A token allowed to read and write the repository's issues.
    token_env: EnvName
    #: GitHub Enterprise Server: ``https://HOST/api/v3``.
    api_url: WebUrl = "https://api.github.com"
    labels: list[Label] = Field(default_factory=list)
    #: The secret of the repository's ``issues`` webhook, when one reports to Tocsin.
    webhook_secret_env: EnvName | None = None


#: Jira's status categories and what each means for an action item, unless configured.
DEFAULT_CATEGORIES: dict[CategoryName, ItemStatusName] = {
    "new": "open",
    "indeterminate": "in_progress",
    "done": "done",
}


class JiraTrackerConfig(Spec):
    """Jira Cloud issues of one project, through the REST API v3.

    With ``email``, the token is an API token sent with HTTP Basic authentication;
    without, it is sent as a bearer token. A Jira status maps to an action item's
    status by its name in ``statuses`` first, else by its category.
    """

    url: WebUrl
    project: Annotated[str, PlainValidator(project_key)]
    issue_type: str = Field(default="Task", min_length=1, max_length=100)
    email: EmailAddress | None = None
    token_env: EnvName
    labels: list[Label] = Field(default_factory=list)
    #: Whether the due date is sent (Jira's ``duedate``: it must be on the issue's screens).
    send_due_date: bool = True
    statuses: dict[Annotated[str, Field(min_length=1)], ItemStatusName] = Field(
        default_factory=dict
    )
    status_categories: dict[CategoryName, ItemStatusName] = Field(
        default_factory=lambda: dict(DEFAULT_CATEGORIES)
    )


class IssueTrackerConfig(Spec):
    """One issue tracker: its type and settings, which items go to it, how often it is read."""

    type: TrackerType
    #: The teams whose action items go to it; none: every action item.
    teams: list[ObjectName] = Field(default_factory=list)
    #: Minutes between two readings of its issues' statuses (GitHub and Jira).
    poll_minutes: PositiveInteger = 5
    webhook: WebhookTrackerConfig | None = None
    github: GitHubTrackerConfig | None = None
    jira: JiraTrackerConfig | None = None

    @model_validator(mode="after")
    def _one_block(self) -> IssueTrackerConfig:
        if getattr(self, self.type) is None:
            raise ValueError(f"a {self.type} tracker needs its {self.type}: settings")
        for block in ("webhook", "github", "jira"):
            if block != self.type and getattr(self, block) is not None:
                raise ValueError(f"{block}: only a tracker of type {block} takes these settings")
        return self


ISSUE_TRACKER_KIND: Kind[IssueTrackerConfig] = Kind(
    ISSUE_TRACKER, "issue tracker", "issue trackers"
)


@dataclass(frozen=True)
class Tracker:
    name: str
    config: IssueTrackerConfig

    def takes(self, team: str | None) -> bool:
        """Whether an item of ``team`` goes to this tracker."""
        return not self.config.teams or team in self.config.teams


def configured(session: Session) -> list[Tracker]:
    """Every configured issue tracker, by name."""
    rows = session.execute(
        select(Definition.name, Definition.spec)
        .where(Definition.kind == ISSUE_TRACKER)
        .order_by(Definition.name)
    ).all()
    return [Tracker(name, IssueTrackerConfig.model_validate(spec)) for name, spec in rows]


def named(session: Session, name: str) -> Tracker | None:
    spec = session.scalar(
        select(Definition.spec).where(Definition.kind == ISSUE_TRACKER, Definition.name == name)
    )
    return Tracker(name, IssueTrackerConfig.model_validate(spec)) if spec is not None else None


class TrackerError(Exception):
    """A tracker refused or could not be reached; ``permanent``: retrying will not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def secret(variable: str, what: str) -> str:
    """The secret in environment variable ``variable``; a permanent error when it is unset."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise TrackerError(f"{what}: environment variable {variable} is unset", permanent=True)
    return value


@dataclass(frozen=True)
class ItemView:
    """An action item as trackers are told about it (the webhook's ``action_item``)."""

    reference: str
    id: int
    description: str
    owner: str | None
    priority: str
    type: str
    due_date: str | None
    team: str | None
    status: str
    reason: str | None
    postmortem: str | None
    incident: str | None
    #: The postmortem in Tocsin's console.
    url: str | None

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def title(self) -> str:
        first = self.description.strip().splitlines()[0] if self.description.strip() else ""
        short = first if len(first) <= 200 else first[:199] + "…"
        return f"{self.reference}: {short}"


@dataclass(frozen=True)
class Created:
    key: str
    url: str | None
    #: The new issue's state in the tracker's own terms (None: not known).
    remote_state: str | None
    #: The item's status that state means (None: not known); when it is not the item's,
    #: the push that follows the creation moves the issue.
    status: str | None


@dataclass(frozen=True)
class Remote:
    """An issue's state as the tracker tells it, and what it means for the item."""

    remote_state: str
    #: The item's status it means; None: nothing to change.
    status: str | None
    reason: str | None = None


@dataclass(frozen=True)
class Update:
    """What a push asks of an item's existing issue."""

    key: str
    item: ItemView
    #: The item as it was last sent.
    before: Mapping[str, Any]
    #: The issue's state as last known (None: not known).
    remote_state: str | None
    #: The push's name, the same on each of its retries.
    delivery: str


class Adapter(Protocol):
    """What Tocsin does with one tracker's issues."""

    def create(self, item: ItemView, *, delivery: str) -> Created:
        """A new issue for ``item``: one request that creates, so a retry cannot create twice
        unless the tracker's answer was lost."""
        ...

    def update(self, change: Update) -> str | None:
        """Bring issue ``change.key`` in line with ``change.item``; its new state."""
        ...


class Polled(Adapter, Protocol):
    """An adapter whose issues' states Tocsin reads back (GitHub, Jira)."""

    def read(self, key: str, current: str) -> Remote:
        """Issue ``key``'s state, for an item whose status is ``current``."""
        ...
