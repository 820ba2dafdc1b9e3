"""Issue trackers reporting statuses: ``POST /api/v1/action-items/trackers/{name}/events``.

No user signs these requests: the tracker's own secret does.

- A ``webhook`` tracker's receiver sends ``{"key": ..., "status": ..., "reason": ...}``
  signed as Tocsin signs its events (``X-Tocsin-Timestamp``, ``X-Tocsin-Signature:
  v1=<HMAC-SHA256 of "<timestamp>.<body>">`` with the tracker's secret, at most
  five minutes old). An unknown key is 404, naming it.
- A ``github`` tracker takes the repository's ``issues`` webhook, signed with
  ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`` and the secret in
  ``webhook_secret_env``; issues of no action item are answered 200, not applied.
- A ``jira`` tracker takes no events: its statuses are polled (409).

A missing or wrong signature is 401; nothing is applied.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from tocsin.domain import untrusted
from tocsin.domain.refusals import Conflict, Invalid, NotFound
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import Runtime, RuntimeDep
from tocsin.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tocsin.postmortems import tracker_sync, trackers
from tocsin.postmortems.tables import ActionItem
from tocsin.postmortems.tracker_github import meaning
from tocsin.postmortems.trackers import Remote, Tracker

router = APIRouter(
    prefix="/api/v1/action-items/trackers", route_class=CheckedRoute, tags=["postmortems"]
)
GITHUB_SIGNATURE = "X-Hub-Signature-256"
GITHUB_EVENT = "X-GitHub-Event"


class TrackerEventIn(BaseModel):
    """A status reported by a webhook tracker's receiver for one of its issues."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"key": "AI-7", "status": "done"},
                {"key": "OPS-12", "status": "wont_do", "reason": "The service is retired."},
            ]
        },
    )

    key: str = Field(min_length=1, max_length=200)
    status: Literal["open", "in_progress", "done", "wont_do"]
    reason: str | None = Field(default=None, max_length=2000)


class TrackerEventOut(BaseModel):
    applied: bool = Field(description="Whether the event named an action item's issue")
    action_item: str | None = Field(examples=["AI-7"])
    status: str | None = Field(description="The item's status now")
    detail: str


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=message)


def _secret(variable: str | None, tracker: Tracker) -> str:
    value = os.environ.get(variable, "").strip() if variable else ""
    if not value:
        raise Conflict(
            f"issue tracker {tracker.name!r} takes no events: its signing secret is not set "
            "on this server"
        )
    return value


def _apply(tocsin: Runtime, tracker: Tracker, key: str, remote: Remote) -> TrackerEventOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        found = tracker_sync.linked(session, tracker.name, key)
        item = tracker_sync.apply(session, found, remote, now)
        if item is None:
            raise NotFound(f"the action item of issue {key!r} is gone")
        return TrackerEventOut(
            applied=True,
            action_item=item.reference,
            status=item.status,
            detail=f"{item.reference} is {item.status}",
        )


def _webhook_event(
    tocsin: Runtime, tracker: Tracker, headers: dict[str, str], body: bytes
) -> TrackerEventOut:
    assert tracker.config.webhook is not None
    key = _secret(tracker.config.webhook.secret_env, tracker)
    timestamp = headers.get(TIMESTAMP_HEADER.lower(), "")
    signed = headers.get(SIGNATURE_HEADER.lower(), "")
    if not verify(key, timestamp, body, signed, tocsin.clock.now()):
        raise _unauthorized(
            f"missing, wrong or stale {SIGNATURE_HEADER}: sign the body with the tracker's secret"
        )
    try:
        event = TrackerEventIn.model_validate(untrusted.parse(body))
    except (ValueError, ValidationError) as error:
        raise Invalid(*_first(error)) from None
    remote = Remote(event.status, event.status, event.reason)
    return _apply(tocsin, tracker, event.key, remote)


def _first(error: ValueError | ValidationError) -> tuple[str, str]:
    """The field at fault and why, for a body that is not a valid event."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return ".".join(str(part) for part in first["loc"]) or "body", first["msg"]
    return "body", f"must be a JSON object ({error})"


def _github_event(
    tocsin: Runtime, tracker: Tracker, headers: dict[str, str], body: bytes
) -> TrackerEventOut:
    config = tracker.config.github
    assert config is not None
    key = _secret(config.webhook_secret_env, tracker)
    expected = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get(GITHUB_SIGNATURE.lower(), "")):
        raise _unauthorized(f"missing or wrong {GITHUB_SIGNATURE}")
    kind = headers.get(GITHUB_EVENT.lower(), "")
    if kind != "issues":
        return TrackerEventOut(
            applied=False, action_item=None, status=None, detail=f"{kind or 'event'} ignored"
        )
    try:
        data: Any = untrusted.parse(body)
    except ValueError as error:
        raise Invalid("body", f"must be JSON ({error})") from None
    data = data if isinstance(data, dict) else {}
    issue, repository = data.get("issue"), data.get("repository")
    repo = repository.get("full_name") if isinstance(repository, dict) else None
    if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
        raise Invalid("issue.number", "an issues event names its issue's number")
    if str(repo).lower() != config.repository.lower():
        return TrackerEventOut(
            applied=False,
            action_item=None,
            status=None,
            detail=f"{repo} is not this tracker's repository ({config.repository})",
        )
    number = str(issue["number"])
    with tocsin.database.sessions() as session:
        try:
            found = tracker_sync.linked(session, tracker.name, number)
        except NotFound:
            return TrackerEventOut(
                applied=False,
                action_item=None,
                status=None,
                detail=f"issue #{number} is not linked to an action item",
            )
        item = session.get(ActionItem, found.action_item_id)
        current = item.status if item is not None else "open"
    remote = meaning(str(issue.get("state")), issue.get("state_reason"), current)
    return _apply(tocsin, tracker, number, remote)


def _receive(tocsin: Runtime, name: str, headers: dict[str, str], body: bytes) -> TrackerEventOut:
    with tocsin.database.sessions() as session:
        tracker = trackers.named(session, name)
    if tracker is None:
        raise NotFound(f"no issue tracker {name!r}")
    if tracker.config.webhook is not None:
        return _webhook_event(tocsin, tracker, headers, body)
    if tracker.config.github is not None:
        return _github_event(tocsin, tracker, headers, body)
    raise Conflict(f"issue tracker {name!r} ({tracker.config.type}) takes no events: it is polled")


@router.post(
    "/{name}/events",
    response_model=TrackerEventOut,
    summary="A tracker reports an issue's status (signed with the tracker's secret)",
    description="A webhook tracker's receiver sends {key, status, reason} signed with "
    "X-Tocsin-Timestamp and X-Tocsin-Signature; a GitHub tracker takes the repository's "
    "issues webhook (X-Hub-Signature-256). See docs/issue-trackers.md.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TrackerEventIn.model_json_schema()}},
        }
    },
    responses={
        401: {"description": "Missing or wrong signature"},
        404: {"description": "No such tracker, or no action item has that issue"},
        409: {"description": "The tracker takes no events"},
        422: {"description": "The body is not a valid event"},
    },
)
async def tracker_event(name: str, request: Request, tocsin: RuntimeDep) -> TrackerEventOut:
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    return await run_in_threadpool(_receive, tocsin, name, headers, body)


ROUTERS = (router,)
