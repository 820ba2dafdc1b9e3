"""One running Tocsin: settings, database, clock, job handlers and engine together."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import OperationalError

from tocsin.alerts.committer import GroupCommitter
from tocsin.app.handlers import builtin_registry
from tocsin.app.outbound_heartbeat import Heartbeat
from tocsin.app.readiness import readiness
from tocsin.db import migrate
from tocsin.db.database import Database
from tocsin.engine.registry import HandlerRegistry
from tocsin.engine.worker import Engine
from tocsin.kernel.clock import Clock
from tocsin.kernel.file_clock import clock_for
from tocsin.kernel.settings import Settings
from tocsin.metrics import rollups
from tocsin.postmortems import digests

log = logging.getLogger("tocsin.app")


@dataclass
class Tocsin:
    settings: Settings
    database: Database
    clock: Clock
    registry: HandlerRegistry
    engine: Engine
    #: Inbound alerts' writer: requests arriving together commit in one transaction.
    committer: GroupCommitter
    #: Pings ``settings.heartbeat_url`` while ready (None: no URL configured).
    heartbeat: Heartbeat | None = None
    #: Whether this process runs the job engine; False in the ``tocsin serve`` workers
    #: beyond ``--engine-workers``, whose jobs the engines of other processes run.
    runs_engine: bool = True

    @classmethod
    def open(
        cls, settings: Settings, clock: Clock | None = None, *, upgrade: bool = True
    ) -> Tocsin:
        """Open the database (migrating it unless told not to) and build the engine."""
        database = Database(settings)
        if upgrade:
            migrate.upgrade(database.engine)
        registry = builtin_registry()
        registry.load_modules(settings.handler_modules)
        if clock is None:
            clock = clock_for(settings.clock_file)
        engine = Engine(
            database,
            clock,
            registry,
            lease=timedelta(seconds=settings.job_lease_seconds),
            poll=timedelta(seconds=settings.engine_poll_seconds),
        )
        tocsin = cls(settings, database, clock, registry, engine, GroupCommitter(database))
        if settings.heartbeat_url:
            tocsin.heartbeat = Heartbeat(
                settings.heartbeat_url,
                interval=timedelta(seconds=settings.heartbeat_interval_seconds),
                method=settings.heartbeat_method,
                clock=clock,
                ready=lambda: readiness(tocsin),
            )
        return tocsin

    def start(self) -> None:
        """Start the job engine (if it runs here), and the outbound heartbeat if configured.

        Recurring chains are started here too, in case one is missing (once whatever the
        number of processes: their jobs' idempotency keys decide): the teams' weekly digests
        and the hourly refresh of the metrics' rollups.
        A chain lives in the jobs table, so it survives restarts on its own; a database that
        is unreachable at start-up only skips this (the engine waits for it as it does).
        """
        try:
            with self.database.transaction() as session:
                digests.plan_all(session, self.clock.now())
                rollups.plan_next(session, self.clock.now())
        except OperationalError as error:
            log.warning("recurring jobs not checked at start-up: %s", type(error).__name__)
        if self.runs_engine:
            self.engine.start()
        if self.heartbeat is not None:
            self.heartbeat.start()

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        self.engine.stop()
        self.committer.close()
        self.database.dispose()
