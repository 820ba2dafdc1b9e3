"""GitHub Issues: an issue per action item, its title, body and state kept in step.

- create: ``POST /repos/{owner}/{repo}/issues`` with ``title``, ``body`` (Markdown)
  and ``labels``; GitHub answers 201 with the issue's ``number`` and ``html_url``.
- update: ``PATCH /repos/{owner}/{repo}/issues/{number}`` with ``title`` and
  ``body``, and ``state`` with ``state_reason`` when the status moved: done is
  closed as ``completed``, won't do closed as ``not_planned``, open and in
  progress are ``open`` (``reopened`` when it was closed).
- read: ``GET`` the same path: ``closed`` as ``completed`` (or no reason) means
  done, as ``not_planned`` won't do, with the reason "closed as not planned in
  GitHub"; ``open`` reopens a finished item.

Every request carries ``Accept: application/vnd.github+json``,
``X-GitHub-Api-Version`` and the token as a bearer token. The state is kept as
``open``, ``closed:completed`` or ``closed:not_planned``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.postmortems import tracker_http
from tocsin.postmortems.trackers import (
    Created,
    GitHubTrackerConfig,
    ItemView,
    Remote,
    TrackerError,
    Update,
    secret,
)

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
NOT_PLANNED = "closed as not planned in GitHub"
#: A finished item's status, as a closed issue's state.
CLOSED = {"done": "closed:completed", "wont_do": "closed:not_planned"}


def body(item: ItemView) -> str:
    """The issue's Markdown: the description, then what Tocsin knows of the item."""
    facts = [f"- **Action item:** {item.reference} ({item.priority}, {item.type})"]
    if item.owner:
        facts.append(f"- **Owner:** {item.owner}")
    if item.due_date:
        facts.append(f"- **Due:** {item.due_date}")
    if item.team:
        facts.append(f"- **Team:** {item.team}")
    if item.postmortem:
        shown = f"[{item.postmortem}]({item.url})" if item.url else item.postmortem
        facts.append(f"- **Postmortem:** {shown} of {item.incident}")
    return f"{item.description}\n\n" + "\n".join(facts) + "\n\n_Synced from Tocsin._\n"


def state_of(status: str) -> str:
    return CLOSED.get(status, "open")


def _state_fields(state: str, was: str | None) -> dict[str, Any]:
    if state == "open":
        return {"state": "open", "state_reason": "reopened"} if was != "open" else {}
    return {"state": "closed", "state_reason": state.split(":", 1)[1]}


class GitHub:
    def __init__(self, config: GitHubTrackerConfig) -> None:
        self.config = config

    def _headers(self) -> dict[str, str]:
        token = secret(self.config.token_env, "GitHub")
        return {
            "Accept": MEDIA_TYPE,
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {token}",
        }

    def _call(self, method: str, path: str, fields: Mapping[str, Any] | None = None) -> Any:
        url = self.config.api_url.rstrip("/") + path
        return tracker_http.call("GitHub", method, url, path, headers=self._headers(), body=fields)

    def _issues(self) -> str:
        return f"/repos/{self.config.repository}/issues"

    def create(self, item: ItemView, *, delivery: str) -> Created:
        fields: dict[str, Any] = {"title": item.title, "body": body(item)}
        if self.config.labels:
            fields["labels"] = list(self.config.labels)
        answer = self._call("POST", self._issues(), fields)
        if not isinstance(answer, dict) or not isinstance(answer.get("number"), int):
            raise TrackerError("GitHub answered the new issue without its number", permanent=False)
        return Created(str(answer["number"]), answer.get("html_url"), "open", "open")

    def update(self, change: Update) -> str | None:
        item, remote_state = change.item, change.remote_state
        fields: dict[str, Any] = {"title": item.title, "body": body(item)}
        state = remote_state
        if change.before.get("status") != item.status:
            state = state_of(item.status)
            if state != remote_state:
                fields.update(_state_fields(state, remote_state))
        self._call("PATCH", f"{self._issues()}/{change.key}", fields)
        return state

    def read(self, key: str, current: str) -> Remote:
        answer = self._call("GET", f"{self._issues()}/{key}")
        data = answer if isinstance(answer, dict) else {}
        return meaning(str(data.get("state")), data.get("state_reason"), current)


def meaning(state: str, reason: Any, current: str) -> Remote:
    """What GitHub's ``state`` and ``state_reason`` mean for an item whose status is ``current``."""
    if state == "closed":
        if reason == "not_planned":
            return Remote("closed:not_planned", "wont_do", NOT_PLANNED)
        return Remote("closed:completed", "done")
    return Remote("open", "open" if current in CLOSED else None)
