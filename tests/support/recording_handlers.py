"""Job handlers for engine tests that run in separate worker processes.

Loaded through ``TOCSIN_HANDLER_MODULES``. Each run appends the job id to a
per-process log file (what actually started) and, in the job's finishing
transaction, inserts a row into ``test_job_effects`` (what was committed).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext

EFFECTS_DDL = "CREATE TABLE test_job_effects (job_id INTEGER NOT NULL, worker VARCHAR(200))"


def _log_start(ctx: JobContext) -> None:
    directory = os.environ.get("TOCSIN_TEST_RUN_LOG_DIR")
    if directory:
        with (Path(directory) / f"runs-{os.getpid()}.log").open("a") as log:
            log.write(f"{ctx.job.id}\n")


def _commit_effect(ctx: JobContext) -> None:
    with ctx.transaction() as session:
        session.execute(
            text("INSERT INTO test_job_effects (job_id, worker) VALUES (:j, :w)"),
            {"j": ctx.job.id, "w": ctx.owner},
        )


@dataclass(frozen=True)
class Nothing:
    """The payload of the test kinds: the job's id is all they need."""


RECORD_RUN = JobKind("test.record_run", Nothing)
HOLD = JobKind("test.hold", Nothing)


def record_run(ctx: JobContext, _: Nothing) -> None:
    _log_start(ctx)
    _commit_effect(ctx)


def hold(ctx: JobContext, _: Nothing) -> None:
    """Start, then hold the job for TOCSIN_TEST_HOLD_SECONDS before committing."""
    _log_start(ctx)
    time.sleep(float(os.environ.get("TOCSIN_TEST_HOLD_SECONDS", "0")))  # allowed: a stuck worker
    _commit_effect(ctx)


def register(registry: HandlerRegistry) -> None:
    registry.register(RECORD_RUN, record_run)
    registry.register(HOLD, hold)
