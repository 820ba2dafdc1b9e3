"""Job handlers, registered by kind.

A handler receives a :class:`JobContext`. Database work it does inside
``ctx.transaction()`` commits together with the job's completion, so it happens
exactly once even when a lease expires and another worker re-runs the job.
Work outside the database (an HTTP call, an email) happens at least once; such
handlers use the job id as an idempotency key where the receiver supports one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.engine import jobs
from tocsin.store.db import Database


class LeaseLost(Exception):
    """Another worker took the job over; this run's work is rolled back."""


class PermanentFailure(Exception):
    """A failure that retrying cannot fix: the job goes straight to dead."""


@dataclass
class JobContext:
    job: jobs.ClaimedJob
    database: Database
    clock: Clock
    owner: str
    #: Set once the job's completion has been committed by ``transaction()``.
    finished: bool = field(default=False, init=False)

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction that also marks the job done when it commits."""
        if self.finished:
            raise RuntimeError("a job's finishing transaction can be opened once")
        with self.database.transaction() as session:
            yield session
            if not jobs.finish(session, self.job.id, owner=self.owner, now=self.clock.now()):
                raise LeaseLost(f"job {self.job.id} is no longer leased to {self.owner}")
        self.finished = True


Handler = Callable[[JobContext], None]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def handler(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    def load_modules(self, modules: tuple[str, ...]) -> None:
        """Import extension modules; each must define ``register(registry)``."""
        for name in modules:
            module = importlib.import_module(name)
            register = getattr(module, "register", None)
            if not callable(register):
                raise ValueError(f"handler module {name} has no register(registry) function")
            register(self)
