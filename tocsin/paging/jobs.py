"""Paging's job kinds and what their jobs carry.

The handlers are in :mod:`tocsin.paging.steps` (steps, acknowledgement
timeouts), :mod:`tocsin.paging.delivery` (notifications, bundles),
:mod:`tocsin.paging.notices` (alarms, stakeholder notices) and
:mod:`tocsin.paging.subjects`; the kinds are gathered here because the code
that queues them (starting a run, paging a person) sits below those handlers.
The stored names and JSON fields are those of jobs already queued: they must
not change.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.engine.kinds import JobKind


@dataclass(frozen=True)
class StepDue:
    """A run's step ``index`` is due, unless the run's ``token`` moved on since."""

    run_id: int
    token: int
    index: int


@dataclass(frozen=True)
class AcknowledgementTimeout:
    """An acknowledgement ran out: re-trigger the run unless its ``token`` moved on."""

    run_id: int
    token: int


@dataclass(frozen=True)
class NotificationDue:
    notification_id: int


@dataclass(frozen=True)
class BundleDue:
    """The notifications a contact method's rate limit held back go out as one message."""

    user: str
    method_index: int


@dataclass(frozen=True)
class Alarm:
    """An email to one admin that paging lost something."""

    to: str
    subject: str
    body: str
    key: str


@dataclass(frozen=True)
class StakeholderNotice:
    """Tell one stakeholder that an incident was declared at, or raised to, a level."""

    user: str
    reference: str
    title: str
    level: str
    #: A :class:`tocsin.incidents.stakeholders.Reached`.
    how: str = "declared"


STEP = JobKind("paging.step", StepDue)
ACK_TIMEOUT = JobKind("paging.ack_timeout", AcknowledgementTimeout)
DELIVER = JobKind("paging.deliver", NotificationDue)
BUNDLE = JobKind("paging.bundle", BundleDue)
ALARM = JobKind("paging.alarm", Alarm)
STAKEHOLDER = JobKind("paging.stakeholder", StakeholderNotice)

#: Deliveries retry a few times, then fall back to the person's next contact method.
DELIVERY_ATTEMPTS = 3


def step_key(payload: StepDue) -> str:
    return f"{STEP.name}:{payload.run_id}:{payload.token}:{payload.index}"


def delivery_key(notification_id: int) -> str:
    return f"{DELIVER.name}:{notification_id}"
