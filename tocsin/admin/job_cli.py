"""``tocsin jobs``: look at the queue, find dead jobs, retry them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.common import DatabaseUrlOption, DataDirOption, console, fail, open_database
from tocsin.db.audit import record
from tocsin.domain.refusals import Invalid
from tocsin.engine import jobs
from tocsin.kernel.clock import SystemClock

app = typer.Typer(help="The durable job queue.", no_args_is_help=True)


@app.command("list")
def list_jobs(
    dead: Annotated[bool, typer.Option("--dead", help="Only dead jobs.")] = False,
    state: Annotated[str | None, typer.Option(help="pending, running, done or dead.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    cursor: Annotated[
        str | None, typer.Option(help="Continue after a previous list (the cursor it printed).")
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """List jobs, newest first; when there are more, print the cursor of the next page."""
    wanted = "dead" if dead else state
    if wanted is not None and wanted not in jobs.STATES:
        fail(f"--state must be one of {', '.join(jobs.STATES)}, got {wanted!r}")
    database = open_database(data_dir, database_url)
    table = Table("id", "kind", "state", "attempts", "run at", "last error")
    with database.sessions() as session:
        try:
            found = jobs.list_jobs(session, state=wanted, kind=kind, limit=limit, cursor=cursor)
        except Invalid as error:
            fail(f"--cursor {error.reason}")
        for job in found.rows:
            table.add_row(
                str(job.id),
                job.kind,
                job.state,
                f"{job.attempts}/{job.max_attempts}",
                f"{job.run_at:%Y-%m-%d %H:%M:%S}",
                (job.last_error or "")[:80],
            )
    console.print(table)
    if found.next_cursor is not None:
        console.print(f"more: add --cursor {found.next_cursor}", highlight=False)


@app.command()
def retry(
    job_id: int, data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None
) -> None:
    """Retry a dead job with a fresh set of attempts."""
    database = open_database(data_dir, database_url)
    now = SystemClock().now()
    with database.transaction() as session:
        if not jobs.retry_dead(session, job_id, now=now):
            fail(f"job {job_id} does not exist or is not dead")
        record(
            session,
            at=now,
            actor="cli",
            action="job.retry",
            object_type="job",
            object_key=str(job_id),
        )
    console.print(f"job {job_id} queued again", highlight=False)


@app.command()
def stats(data_dir: DataDirOption = None, database_url: DatabaseUrlOption = None) -> None:
    """How many jobs are in each state."""
    database = open_database(data_dir, database_url)
    with database.sessions() as session:
        for state, count in jobs.count_by_state(session).items():
            console.print(f"{state:8} {count}", highlight=False)
