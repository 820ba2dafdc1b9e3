"""Receiving signals for an integration key: committed with the requests around it.

:func:`receive` looks the key up, applies the key's rate limit, builds the
signals (a source's parser may refuse the body) and ingests them, in the
transaction the process's :class:`~tocsin.alerts.committer.GroupCommitter`
shares between the requests that arrive together. Collisions between
concurrent writers (a deadlock or a race on a unique index on PostgreSQL, a
busy SQLite) are retried a few times; if they persist the request is refused
:class:`~tocsin.domain.refusals.Unavailable` (503), never half-done, so the
sender retries it.

The refusals are the tree's (:mod:`tocsin.domain.refusals`), raised before
the work writes anything: :class:`UnknownKey` (404),
:class:`~tocsin.domain.refusals.Throttled` (429) and :class:`InvalidSignal`
(422). Tocsin's own endpoints let the app answer them; the wire formats that
define their own error bodies (PagerDuty, Opsgenie, SMTP) answer in those.

Once the transaction has committed (or the request was refused), what it did
is counted for ``/metrics`` by integration: signals accepted (they opened,
acknowledged or resolved an alert) or deduplicated (they changed nothing), and
refused requests.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from tocsin.alerts import integrations
from tocsin.alerts.committer import Stageable, Staged
from tocsin.alerts.configured import Alerting, Integration, cache_for, key_digest
from tocsin.alerts.ingest import Planned, ingest
from tocsin.alerts.rate_limit import limiter_for
from tocsin.alerts.runtime import AlertsRuntime
from tocsin.alerts.writer import Origin, Result
from tocsin.domain.alert_lifecycle import Change, Signal
from tocsin.domain.refusals import Invalid, NotFound, Refusal, Throttled
from tocsin.telemetry import instruments as telemetry

T = TypeVar("T")

UNKNOWN_KEY = "unknown or revoked integration key"


class UnknownKey(NotFound):
    """No integration of the expected type has this key (or it was revoked)."""

    def __init__(self) -> None:
        super().__init__(UNKNOWN_KEY)


class InvalidSignal(Invalid):
    """The body is well-formed JSON but cannot become a signal; ``field`` names what is wrong.

    Each source answers it in its own format, as it answers a body Pydantic
    refuses (:func:`tocsin.inbound.endpoints.source_route`): ``field`` is one
    name there, not a dotted path.
    """


def in_transaction(tocsin: AlertsRuntime, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction shared with concurrent inbound requests; committed on return.

    ``work`` must raise a :class:`~tocsin.domain.refusals.Refusal` only before
    it writes anything.
    """
    return tocsin.committer.submit(work)


@dataclass(frozen=True)
class Received:
    integration: Integration
    results: list[Result]


def identify(
    session: Session, tocsin: AlertsRuntime, key: str, types: Collection[str]
) -> tuple[Alerting, Integration]:
    """The current definitions and the key's integration, if it has one of ``types``.

    A key of an integration the process has not seen yet (made a moment ago
    by another process) makes the definitions be checked again at once.
    Raises :class:`UnknownKey`.
    """
    cache = cache_for(tocsin.database)
    alerting = cache.get(session)
    name = integrations.key_owner(session, alerting, key)
    if name is not None and name not in alerting.integrations:
        alerting = cache.get(session, recheck=True)
    integration = alerting.integrations.get(name) if name is not None else None
    if integration is None or integration.type not in types:
        raise UnknownKey()
    return alerting, integration


def admit(tocsin: AlertsRuntime, key: str, integration: Integration) -> None:
    """Take one request from the key's rate limit; raises :class:`Throttled` over it."""
    wait = limiter_for(tocsin.database).take(
        key_digest(key), integration.config.rate_limit_per_minute, tocsin.clock.now()
    )
    if wait is not None:
        what = "heartbeat" if integration.type == "heartbeat" else "integration key"
        raise Throttled(int(wait), f"rate limit reached for this {what}")


@dataclass(frozen=True)
class Context:
    """What a request's work has to hand, inside its transaction."""

    session: Session
    alerting: Alerting
    integration: Integration
    now: datetime
    #: What the work's signals did (:meth:`ingest`), counted once the transaction commits.
    results: list[Result] = field(default_factory=list)

    @property
    def origin(self) -> Origin:
        return Origin(self.integration.name, self.integration.service, self.integration.type)

    def ingest(self, signals: Sequence[Signal]) -> list[Result]:
        """Apply ``signals`` of the integration in the transaction; what each did."""
        results = ingest(self.session, self.alerting, self.origin, signals, self.now)
        self.results.extend(results)
        return results


class Keyed(Stageable, Generic[T]):
    """``work`` behind ``key``: authorised (or refused) in the transaction it runs in."""

    def __init__(
        self, tocsin: AlertsRuntime, key: str, types: Collection[str], work: Callable[[Context], T]
    ) -> None:
        self.tocsin, self.key, self.types, self.work = tocsin, key, types, work
        #: The key's integration, once found; the context of the latest attempt, which
        #: is the one that committed (the committer stages work again when it retries).
        self.integration = telemetry.NO_INTEGRATION
        self.context: Context | None = None

    def stage(self, session: Session) -> Staged:
        alerting, integration = identify(session, self.tocsin, self.key, self.types)
        self.integration = integration.name
        admit(self.tocsin, self.key, integration)
        context = Context(session, alerting, integration, self.tocsin.clock.now())
        self.context = context
        if isinstance(self.work, Ingesting):
            return self.work.stage(context)
        return Staged((), partial(self.work, context))

    def __call__(self, session: Session) -> T:
        result: T = self.stage(session).apply()
        return result

    def count_committed(self) -> None:
        """Count what the committed signals did: a change, or nothing new (a duplicate)."""
        results = self.context.results if self.context is not None else []
        accepted = sum(1 for result in results if result.change in _CHANGES)
        if accepted:
            telemetry.alerts_received(self.integration, telemetry.ACCEPTED, accepted)
        if len(results) > accepted:
            telemetry.alerts_received(
                self.integration, telemetry.DEDUPLICATED, len(results) - accepted
            )

    def count_refused(self) -> None:
        telemetry.alerts_received(self.integration, telemetry.REFUSED)


#: What a signal that is not a duplicate does to its alert.
_CHANGES = frozenset({Change.OPEN, Change.ACKNOWLEDGE, Change.RESOLVE})


class Ingesting:
    """Work that builds the integration's signals (a parser may refuse them) and ingests them.

    Staged (:meth:`stage`), it says which locks ingesting the signals takes.
    """

    def __init__(self, build: Callable[[Integration], Sequence[Signal]]) -> None:
        self.build = build

    def stage(self, context: Context) -> Staged:
        signals = self.build(context.integration)
        planned = Planned(context.session, context.alerting, context.origin, signals, context.now)

        def apply() -> Received:
            results = planned.apply()
            context.results.extend(results)
            return Received(context.integration, results)

        return Staged(planned.locks, apply)

    def __call__(self, context: Context) -> Received:
        result: Received = self.stage(context).apply()
        return result


def receive_with(
    tocsin: AlertsRuntime, key: str, types: Collection[str], work: Callable[[Context], T]
) -> T:
    """Authorise ``key`` and run ``work`` in a transaction; committed when this returns."""
    keyed = Keyed(tocsin, key, types, work)
    try:
        result = in_transaction(tocsin, keyed)
    except Refusal:
        keyed.count_refused()
        raise
    keyed.count_committed()
    return result


async def receive_with_async(
    tocsin: AlertsRuntime, key: str, types: Collection[str], work: Callable[[Context], T]
) -> T:
    """:func:`receive_with` for the event loop: no thread waits while the batch commits."""
    keyed = Keyed(tocsin, key, types, work)
    try:
        result = await tocsin.committer.run(keyed)
    except Refusal:
        keyed.count_refused()
        raise
    keyed.count_committed()
    return result


def receive(
    tocsin: AlertsRuntime,
    key: str,
    types: Collection[str],
    build: Callable[[Integration], Sequence[Signal]],
) -> Received:
    """Authorise ``key``, build its signals and ingest them; committed when this returns."""
    return receive_with(tocsin, key, types, Ingesting(build))


async def receive_async(
    tocsin: AlertsRuntime,
    key: str,
    types: Collection[str],
    build: Callable[[Integration], Sequence[Signal]],
) -> Received:
    """:func:`receive` for the event loop."""
    return await receive_with_async(tocsin, key, types, Ingesting(build))
