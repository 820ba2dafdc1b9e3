"""Paging's SQL: every statement that writes paging's tables, behind named functions.

Paging writes its tables (escalation runs and events, pages, notifications,
delivery attempts, acknowledge tokens) only through this module, with
statements prepared once per dialect and run on the driver's cursor
(:mod:`tocsin.db.prepared`): a step writes a run, events, pages and
notifications for every alert, and SQLAlchemy's execution and unit of work
would cost more than the statements. The ORM classes of
:mod:`tocsin.paging.tables` serve reads (the API's listings) only, so no ORM
object can stand for a row these statements changed.

A run that paging works on is a :class:`Run`: its fixed columns and its
:class:`~tocsin.domain.escalation_run.RunStatus`, read by :func:`lock_run`
and the like and written back by :func:`write_status` after each of the
domain's transitions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Integer, Table, bindparam, case, or_, select, update
from sqlalchemy.orm import Session

from tocsin.auth.tables import User
from tocsin.config.tables import Definition
from tocsin.db import prepared
from tocsin.db.prepared import PerDialect, Rows, binds, prepare
from tocsin.domain.escalation_run import RunState, RunStatus
from tocsin.paging import tables as store
from tocsin.paging.tables import (
    OPEN_RUN,
    AckToken,
    DeliveryAttempt,
    EscalationEvent,
    EscalationRun,
    Notification,
    Page,
)

_RUNS = cast(Table, EscalationRun.__table__)
_EVENTS = cast(Table, EscalationEvent.__table__)
_PAGES = cast(Table, Page.__table__)
_NOTIFICATIONS = cast(Table, Notification.__table__)
_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)
_TOKENS = cast(Table, AckToken.__table__)
_USERS = cast(Table, User.__table__)
_N = _NOTIFICATIONS.c


# -- Reads of configuration and people (the directory's, run for every step) ------------------

_DEFINITIONS = cast(Table, Definition.__table__)
_SPEC = select(_DEFINITIONS.c.spec).where(
    _DEFINITIONS.c.kind == bindparam("kind"), _DEFINITIONS.c.name == bindparam("name")
)
_PERSON = select(_USERS.c.name, _USERS.c.email, _USERS.c.time_zone, _USERS.c.contact_methods).where(
    _USERS.c.name == bindparam("name")
)


def definition_spec(session: Session, kind: str, name: str) -> dict[str, Any] | None:
    """The stored spec of the definition ``kind``/``name``; None if it is not defined."""
    connection = prepared.reading(session)
    row = prepare(connection, _SPEC).first(connection, {"kind": kind, "name": name})
    spec: dict[str, Any] | None = None if row is None else row[0]
    return spec


def person(session: Session, name: str) -> tuple[str, str | None, str, list[Any]] | None:
    """(name, email, time zone, stored contact methods) of user ``name``, if there is one."""
    connection = prepared.reading(session)
    row = prepare(connection, _PERSON).first(connection, {"name": name})
    return None if row is None else (row[0], row[1], row[2], row[3])


# -- Escalation runs ---------------------------------------------------------------------------


@dataclass
class Run:
    """An escalation run as paging works on it: fixed columns, and its status.

    ``status`` changes only by the domain's transitions
    (:mod:`tocsin.domain.escalation_run`), written with :func:`write_status`.
    """

    id: int
    subject_type: str
    subject_key: str
    title: str
    incident_id: int | None
    service: str | None
    team: str | None
    policy_name: str
    #: The policy as it was when the run started (:meth:`Policy.snapshot`).
    policy: dict[str, Any]
    urgency: str
    started_at: datetime
    status: RunStatus

    @property
    def state(self) -> str:
        return self.status.state.value

    @property
    def step_index(self) -> int:
        return self.status.step_index

    @property
    def step_token(self) -> int:
        return self.status.step_token

    @property
    def next_step_at(self) -> datetime | None:
        return self.status.next_step_at

    @property
    def reached_somebody(self) -> bool:
        return self.status.reached_somebody

    @property
    def acknowledged_at(self) -> datetime | None:
        return self.status.acknowledged_at

    @property
    def acknowledged_by(self) -> str | None:
        return self.status.acknowledged_by

    @property
    def resolved_at(self) -> datetime | None:
        return self.status.resolved_at

    @property
    def updated_at(self) -> datetime:
        return self.status.updated_at


#: The fixed columns of a run, in :class:`Run`'s order, then its status's.
_FIXED = (
    "id",
    "subject_type",
    "subject_key",
    "title",
    "incident_id",
    "service",
    "team",
    "policy_name",
    "policy",
    "urgency",
    "started_at",
)
_STATUS = (
    "state",
    "step_index",
    "step_token",
    "next_step_at",
    "reached_somebody",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "updated_at",
)
_RUN_ROW = select(*(_RUNS.c[name] for name in (*_FIXED, *_STATUS)))
_FIND_RUN = _RUN_ROW.where(_RUNS.c.id == bindparam("run_id"))
_LOCK_RUN = _FIND_RUN.with_for_update()
_OPEN_RUN = _RUN_ROW.where(
    _RUNS.c.subject_type == bindparam("subject_type"),
    _RUNS.c.subject_key == bindparam("subject_key"),
    OPEN_RUN,
)
#: Insert a run unless one is open for its subject (the partial unique index decides).
_INSERT_RUN = PerDialect(
    lambda insert: (
        insert(_RUNS)
        .values(binds(_RUNS, (*_FIXED[1:], *_STATUS)))
        .on_conflict_do_nothing(
            index_elements=["subject_type", "subject_key"], index_where=OPEN_RUN
        )
        .returning(_RUNS.c.id)
    )
)
_WRITE_STATUS = update(_RUNS).where(_RUNS.c.id == bindparam("run_id")).values(binds(_RUNS, _STATUS))


def _run(row: tuple[Any, ...] | None) -> Run | None:
    if row is None:
        return None
    fixed, status = row[: len(_FIXED)], row[len(_FIXED) :]
    values = dict(zip(_STATUS, status, strict=True))
    values["state"] = RunState(values["state"])
    return Run(**dict(zip(_FIXED, fixed, strict=True)), status=RunStatus(**values))


def _status_values(status: RunStatus) -> dict[str, Any]:
    values = {name: getattr(status, name) for name in _STATUS}
    values["state"] = status.state.value
    return values


def find_run(session: Session, run_id: int) -> Run | None:
    connection = prepared.reading(session)
    return _run(prepare(connection, _FIND_RUN).first(connection, {"run_id": run_id}))


def lock_run(session: Session, run_id: int) -> Run | None:
    """The run, locked for the rest of the transaction, read afresh."""
    connection = prepared.reading(session)
    return _run(prepare(connection, _LOCK_RUN).first(connection, {"run_id": run_id}))


def open_run(session: Session, subject_type: str, subject_key: str) -> Run | None:
    """The subject's open run (at most one: see :data:`tocsin.paging.tables.OPEN_RUN`)."""
    connection = prepared.reading(session)
    row = prepare(connection, _OPEN_RUN).first(
        connection, {"subject_type": subject_type, "subject_key": subject_key}
    )
    return _run(row)


def insert_run(session: Session, fixed: dict[str, Any], status: RunStatus) -> int | None:
    """A new run's id; None when a run is open for its subject (perhaps just opened elsewhere).

    ``fixed`` holds the fixed columns but ``id``.
    """
    connection = prepared.reading(session)
    row = prepare(connection, _INSERT_RUN).first(connection, {**fixed, **_status_values(status)})
    return None if row is None else int(row[0])


def write_status(session: Session, run: Run, status: RunStatus) -> None:
    """Store ``status`` as ``run``'s, in the row and in ``run``."""
    connection = session.connection()
    prepare(connection, _WRITE_STATUS).run(connection, {"run_id": run.id, **_status_values(status)})
    run.status = status


# -- Escalation events -------------------------------------------------------------------------

_INSERT_EVENT = _EVENTS.insert().values(binds(_EVENTS, ("run_id", "at", "kind", "text", "details")))


class _Events(Rows):
    """Escalation events gathered by :func:`deferring_events`."""

    statement = _INSERT_EVENT


def insert_event(
    session: Session, run_id: int, at: datetime, kind: str, text: str, details: dict[str, str]
) -> None:
    """An event on a run's timeline: now, or with the others at the end of
    :func:`deferring_events`."""
    row = {"run_id": run_id, "at": at, "kind": kind, "text": text, "details": details}
    waiting = prepared.deferred(session, _Events)
    if waiting is not None:
        waiting.rows.append(row)
        return
    connection = session.connection()
    prepare(connection, _INSERT_EVENT).run(connection, row)


@contextmanager
def deferring_events(session: Session) -> Iterator[None]:
    """Insert the escalation events written in this block at its end, in one statement."""
    with prepared.deferring(session, _Events):
        yield


# -- Pages -------------------------------------------------------------------------------------

_INSERT_PAGE = (
    _PAGES.insert()
    .values(
        binds(
            _PAGES,
            (
                "run_id",
                "user_name",
                "step_index",
                "title",
                "urgency",
                "state",
                "created_at",
                "after_hours",
            ),
        )
    )
    .returning(_PAGES.c.id)
)
_P = _PAGES.c
#: The run's open pages: acknowledged when they are ``acker``'s, closed otherwise.
_CLOSE_PAGES = (
    update(_PAGES)
    .where(_P.run_id == bindparam("run_id"), _P.state == store.PAGE_OPEN)
    .values(
        state=case(
            (_P.user_name == bindparam("acker"), store.PAGE_ACKNOWLEDGED),
            else_=store.PAGE_CLOSED,
        ),
        acknowledged_at=case(
            (_P.user_name == bindparam("acker"), bindparam("now", type_=_P.acknowledged_at.type)),
            else_=_P.acknowledged_at,
        ),
    )
)
_BURY_PAGE = (
    update(_PAGES)
    .where(_P.id == bindparam("page_id"))
    .values(state=store.PAGE_DEAD, dead_reason=bindparam("reason"))
)
_PAGE_ROW = select(
    _P.id, _P.run_id, _P.user_name, _P.step_index, _P.title, _P.urgency, _P.state
).where(_P.id == bindparam("page_id"))


@dataclass(frozen=True)
class PageRow:
    id: int
    run_id: int
    user_name: str
    step_index: int
    title: str
    urgency: str
    state: str


def insert_page(
    session: Session,
    run: Run,
    person: str,
    step_index: int,
    urgency: str,
    now: datetime,
    *,
    after_hours: bool,
) -> int:
    """A new open page of ``run`` to ``person`` (sent ``after_hours`` or not); its id."""
    connection = session.connection()
    values = {
        "run_id": run.id,
        "user_name": person,
        "step_index": step_index,
        "title": run.title,
        "urgency": urgency,
        "state": store.PAGE_OPEN,
        "created_at": now,
        "after_hours": after_hours,
    }
    page_id: int = prepare(connection, _INSERT_PAGE).all(connection, values)[0][0]
    return page_id


def find_page(session: Session, page_id: int) -> PageRow | None:
    connection = prepared.reading(session)
    row = prepare(connection, _PAGE_ROW).first(connection, {"page_id": page_id})
    return None if row is None else PageRow(*row)


def has_open_page(session: Session, run_id: int, step_index: int | None = None) -> bool:
    """Whether a page of the run (of its step ``step_index``, if given) is still open."""
    query = select(_P.id).where(_P.run_id == run_id, _P.state == store.PAGE_OPEN)
    if step_index is not None:
        query = query.where(_P.step_index == step_index)
    return session.execute(query.limit(1)).first() is not None


def close_pages(session: Session, run_id: int, acker: str | None, now: datetime) -> None:
    """Close the run's open pages; ``acker``'s, if given, are acknowledged instead."""
    connection = session.connection()
    prepare(connection, _CLOSE_PAGES).run(
        connection, {"run_id": run_id, "acker": acker, "now": now}
    )


def bury_page(session: Session, page_id: int, reason: str) -> None:
    """Mark the page dead: it can reach nobody."""
    connection = session.connection()
    prepare(connection, _BURY_PAGE).run(connection, {"page_id": page_id, "reason": reason})


# -- Notifications and delivery attempts -------------------------------------------------------

_INSERT_NOTIFICATION = (
    _NOTIFICATIONS.insert()
    .values(
        binds(
            _NOTIFICATIONS,
            ("page_id", "user_name", "method_index", "method_type", "due_at", "state", "sent_at"),
        )
    )
    .returning(_N.id)
)
_SET_STATE = (
    update(_NOTIFICATIONS)
    .where(_N.id == bindparam("notification_id"))
    .values(state=bindparam("state"), note=bindparam("note"))
)
_MARK_SENDING = (
    update(_NOTIFICATIONS)
    .where(_N.id == bindparam("notification_id"))
    .values(state=store.NOTIFY_SENDING, sent_at=bindparam("now"))
)
_MARK_BUNDLED = (
    update(_NOTIFICATIONS)
    .where(_N.id == bindparam("notification_id"))
    .values(state=store.NOTIFY_SENDING, bundled_into=bindparam("carrier"))
)
_MARK_SENT = (
    update(_NOTIFICATIONS)
    .where(_N.id == bindparam("notification_id"))
    .values(state=store.NOTIFY_SENT)
)
_INSERT_ATTEMPT = _ATTEMPTS.insert().values(
    binds(_ATTEMPTS, ("notification_id", "page_id", "at", "provider", "status", "error", "pages"))
)
_U = _USERS.c
_NTH_LATEST_SENT = (
    select(_N.sent_at)
    .where(
        _N.user_name == bindparam("user"),
        _N.method_index == bindparam("index"),
        _N.sent_at > bindparam("since"),
        _N.sent_at <= bindparam("now"),
        # Not IN (...): an IN list cannot be prepared.
        or_(_N.state == store.NOTIFY_SENDING, _N.state == store.NOTIFY_SENT),
    )
    .order_by(_N.sent_at.desc())
    .limit(1)
    .offset(bindparam("skip", type_=Integer))
)
#: The person's row, unless another transaction holds it, with the rate limit's answer.
_TRY_LOCK_PERSON = (
    select(_U.id, _NTH_LATEST_SENT.scalar_subquery().label("nth_latest_sent"))
    .where(_U.name == bindparam("user"))
    .with_for_update(of=_USERS, skip_locked=True)
)


def insert_notification(
    session: Session,
    page_id: int,
    user_name: str,
    method_index: int,
    method_type: str,
    due: datetime,
    *,
    sent_at: datetime | None = None,
) -> int:
    """A notification of the page on one contact method; *sending* when ``sent_at`` is given."""
    connection = session.connection()
    values = {
        "page_id": page_id,
        "user_name": user_name,
        "method_index": method_index,
        "method_type": method_type,
        "due_at": due,
        "state": store.NOTIFY_PENDING if sent_at is None else store.NOTIFY_SENDING,
        "sent_at": sent_at,
    }
    notification_id: int = prepare(connection, _INSERT_NOTIFICATION).all(connection, values)[0][0]
    return notification_id


def set_notification_state(
    session: Session, notification_id: int, state: str, note: str | None
) -> None:
    connection = session.connection()
    prepare(connection, _SET_STATE).run(
        connection, {"notification_id": notification_id, "state": state, "note": note}
    )


def mark_sending(session: Session, notification_id: int, now: datetime) -> None:
    """The notification goes out now: it counts against its contact method's rate limit."""
    connection = session.connection()
    prepare(connection, _MARK_SENDING).run(
        connection, {"notification_id": notification_id, "now": now}
    )


def mark_bundled(session: Session, notification_id: int, carrier: int) -> None:
    """The notification goes out in ``carrier``'s message."""
    connection = session.connection()
    prepare(connection, _MARK_BUNDLED).run(
        connection, {"notification_id": notification_id, "carrier": carrier}
    )


def mark_sent(session: Session, notification_id: int) -> None:
    connection = session.connection()
    prepare(connection, _MARK_SENT).run(connection, {"notification_id": notification_id})


def insert_attempt(session: Session, **values: object) -> None:
    """A delivery attempt: ``notification_id``, ``page_id``, ``at``, ``provider``,
    ``status``, ``error``, ``pages``."""
    connection = session.connection()
    prepare(connection, _INSERT_ATTEMPT).run(connection, values)


def nth_latest_sent(reader: Session | Connection, window: dict[str, object]) -> datetime | None:
    """When the ``skip + 1``-th latest message within the rate limit's window was sent."""
    found: datetime | None = reader.execute(_NTH_LATEST_SENT, window).scalar()
    return found


def try_lock_person(session: Session, window: dict[str, object]) -> bool:
    """Lock the person's row unless another transaction holds it; True when locked and
    the rate limit of ``window`` has room for one more message."""
    connection = session.connection()
    locked = prepare(connection, _TRY_LOCK_PERSON).first(connection, window)
    return locked is not None and locked[1] is None  # (id, nth_latest_sent)


# -- Acknowledge tokens ------------------------------------------------------------------------

_INSERT_TOKEN = _TOKENS.insert().values(
    binds(_TOKENS, ("token_hash", "page_id", "created_at", "expires_at", "used_at"))
)


def insert_ack_token(
    session: Session, digest: str, page_id: int, now: datetime, expires: datetime
) -> None:
    connection = session.connection()
    prepare(connection, _INSERT_TOKEN).run(
        connection,
        {
            "token_hash": digest,
            "page_id": page_id,
            "created_at": now,
            "expires_at": expires,
            "used_at": None,
        },
    )
