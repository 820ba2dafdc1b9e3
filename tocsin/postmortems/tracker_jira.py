"""Jira Cloud (REST API v3): an issue per action item, its fields and status kept in step.

- create: ``POST /rest/api/3/issue`` with ``fields``: ``project`` (its key),
  ``summary``, ``issuetype`` (by name), ``description`` in the Atlassian Document
  Format, ``labels`` and ``duedate``; Jira answers 201 with ``id``, ``key`` and
  ``self``. Its status is then read (below).
- update: ``PUT /rest/api/3/issue/{key}`` with ``summary``, ``description`` and
  ``duedate``; a new status goes through the workflow: ``GET .../transitions``,
  then ``POST .../transitions`` with the id of the first transition whose target
  status means the item's status (won't do, when no status means it, goes to one
  meaning done).
- read: ``GET /rest/api/3/issue/{key}?fields=status``: the status's name, looked
  up in the tracker's ``statuses`` first, else its category (``new``,
  ``indeterminate``, ``done``) in ``status_categories``.

With an ``email`` the token is an API token (HTTP Basic, email and token),
without one a bearer token. The state is kept as ``CATEGORY:NAME``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from tocsin.postmortems import tracker_http
from tocsin.postmortems.trackers import (
    Created,
    ItemView,
    JiraTrackerConfig,
    Remote,
    TrackerError,
    Update,
    secret,
)

API = "/rest/api/3"


def _text(text: str, href: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if href:
        node["marks"] = [{"type": "link", "attrs": {"href": href}}]
    return node


def _paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(nodes)}


def description(item: ItemView) -> dict[str, Any]:
    """The item as an Atlassian Document Format document (a ``doc`` of version 1)."""
    paragraphs = [_paragraph(_text(line)) for line in item.description.splitlines() if line.strip()]
    facts = [[_text(f"Action item: {item.reference} ({item.priority}, {item.type})")]]
    if item.owner:
        facts.append([_text(f"Owner: {item.owner}")])
    if item.team:
        facts.append([_text(f"Team: {item.team}")])
    if item.postmortem:
        facts.append(
            [_text("Postmortem: "), _text(item.postmortem, item.url), _text(f" of {item.incident}")]
        )
    bullets = {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [_paragraph(*nodes)]} for nodes in facts],
    }
    return {"type": "doc", "version": 1, "content": [*paragraphs, bullets]}


def _state(name: str, category: str) -> str:
    return f"{category}:{name}"


class Jira:
    def __init__(self, config: JiraTrackerConfig) -> None:
        self.config = config

    def meaning(self, state: str | None) -> str | None:
        """The item status a Jira state (``CATEGORY:NAME``) means, or None."""
        if state is None:
            return None
        category, _, name = state.partition(":")
        by_name = self.config.statuses.get(name)
        if by_name is not None:
            return by_name
        categories = {str(key): value for key, value in self.config.status_categories.items()}
        return categories.get(category)

    def _headers(self) -> dict[str, str]:
        token = secret(self.config.token_env, "Jira")
        if self.config.email is not None:
            pair = f"{self.config.email}:{token}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            authorization = f"Bearer {token}"
        return {"Accept": "application/json", "Authorization": authorization}

    def _call(
        self,
        method: str,
        path: str,
        fields: Mapping[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        url = self.config.url.rstrip("/") + API + path
        return tracker_http.call(
            "Jira", method, url, API + path, headers=self._headers(), body=fields, params=params
        )

    def _fields(self, item: ItemView) -> dict[str, Any]:
        fields: dict[str, Any] = {"summary": item.title[:255], "description": description(item)}
        if self.config.send_due_date:
            fields["duedate"] = item.due_date
        return fields

    def create(self, item: ItemView, *, delivery: str) -> Created:
        fields = {
            "project": {"key": self.config.project},
            "issuetype": {"name": self.config.issue_type},
            **self._fields(item),
        }
        if fields.get("duedate") is None:
            fields.pop("duedate", None)
        if self.config.labels:
            fields["labels"] = list(self.config.labels)
        answer = self._call("POST", "/issue", {"fields": fields})
        if not isinstance(answer, dict) or not isinstance(answer.get("key"), str):
            raise TrackerError("Jira answered the new issue without its key", permanent=False)
        key = answer["key"]
        url = f"{self.config.url.rstrip('/')}/browse/{key}"
        try:
            state: str | None = self._status(key)
        except TrackerError:
            state = None  # the issue exists: read its status when it is next moved
        return Created(key, url, state, self.meaning(state))

    def update(self, change: Update) -> str | None:
        key, item, remote_state = change.key, change.item, change.remote_state
        self._call("PUT", f"/issue/{key}", {"fields": self._fields(item)})
        if change.before.get("status") != item.status and self.meaning(remote_state) != item.status:
            return self._move(key, item.status, remote_state)
        return remote_state

    def _status(self, key: str) -> str:
        answer = self._call("GET", f"/issue/{key}", params={"fields": "status"})
        status = ((answer or {}).get("fields") or {}).get("status") or {}
        category = (status.get("statusCategory") or {}).get("key", "")
        return _state(str(status.get("name", "")), str(category))

    def _move(self, key: str, status: str, state: str | None) -> str | None:
        """Transition issue ``key`` to a status meaning ``status``; its new state."""
        if state is None:
            state = self._status(key)
            if self.meaning(state) == status:
                return state
        answer = self._call("GET", f"/issue/{key}/transitions")
        transitions = (answer or {}).get("transitions") or []
        wanted = [status, "done"] if status == "wont_do" else [status]
        for goal in wanted:
            for transition in transitions:
                target = transition.get("to") or {}
                category = (target.get("statusCategory") or {}).get("key", "")
                reached = _state(str(target.get("name", "")), str(category))
                if self.meaning(reached) == goal:
                    self._call(
                        "POST",
                        f"/issue/{key}/transitions",
                        {"transition": {"id": str(transition.get("id"))}},
                    )
                    return reached
        names = ", ".join(str((t.get("to") or {}).get("name")) for t in transitions) or "none"
        raise TrackerError(
            f"Jira: no transition of {key} leads to a status meaning {status} "
            f"(it can go to: {names}); map one in the tracker's statuses",
            permanent=True,
        )

    def read(self, key: str, current: str) -> Remote:
        state = self._status(key)
        meant = self.meaning(state)
        reason = f"set to {state.partition(':')[2]} in Jira" if meant == "wont_do" else None
        return Remote(state, meant if meant != current else None, reason)
