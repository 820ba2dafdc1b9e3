"""The job queue as operators see it: dead letters and retries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from tocsin.admin.schemas import JobOut
from tocsin.auth.deps import Admin, Viewer, remote_addr
from tocsin.db.audit import record
from tocsin.domain.refusals import Conflict, NotFound
from tocsin.engine import jobs
from tocsin.engine.tables import Job
from tocsin.http.checked import CheckedRoute
from tocsin.http.listing import link_next
from tocsin.http.params import Cursor, Id, Offset
from tocsin.http.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1/jobs", route_class=CheckedRoute, tags=["jobs"])

State = Literal["pending", "running", "done", "dead"]


@router.get(
    "",
    response_model=list[JobOut],
    summary="List jobs, newest first, e.g. the dead ones",
    description='A JSON array; when there are more jobs, the Link header (rel="next") '
    "and X-Next-Cursor give the next page: send the cursor back as cursor. offset still "
    "works but costs what it skips. state and kind are indexed.",
    responses={422: {"description": "A filter or the cursor is invalid"}},
)
def list_jobs(
    _: Viewer,
    tocsin: RuntimeDep,
    request: Request,
    response: Response,
    state: Annotated[State | None, Query(description="Only jobs in this state")] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Cursor = None,
    offset: Offset = 0,
) -> list[Job]:
    with tocsin.database.sessions() as session:
        found = jobs.list_jobs(
            session,
            state=state,
            kind=kind,
            limit=limit,
            cursor=cursor,
            offset=offset,
        )
        link_next(request, response, found.next_cursor)
        return found.rows


@router.get("/summary", summary="How many jobs are in each state")
def summary(_: Viewer, tocsin: RuntimeDep) -> dict[str, int]:
    with tocsin.database.sessions() as session:
        return jobs.count_by_state(session)


@router.post(
    "/{job_id}/retry",
    response_model=JobOut,
    summary="Retry a dead job with a fresh set of attempts",
)
def retry(job_id: Id, principal: Admin, tocsin: RuntimeDep, request: Request) -> Job:
    with tocsin.database.transaction() as session:
        return retry_job(
            session,
            job_id,
            actor=principal.name,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )


def retry_job(
    session: Session, job_id: int, *, actor: str, now: datetime, remote_addr: str | None
) -> Job:
    """Give dead job ``job_id`` a fresh set of attempts, audited (the API and the console)."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    if not jobs.retry_dead(session, job_id, now=now):
        raise Conflict(f"job {job_id} is {job.state}; only dead jobs are retried")
    record(
        session,
        at=now,
        actor=actor,
        action="job.retry",
        object_type="job",
        object_key=str(job_id),
        remote_addr=remote_addr,
    )
    session.refresh(job)
    return job
