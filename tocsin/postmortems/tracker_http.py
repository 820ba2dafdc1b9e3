"""Calls to issue trackers' HTTP APIs, and what their failures mean.

A 2xx answer is parsed as JSON (an empty body is None). Other answers raise
:class:`~tocsin.postmortems.trackers.TrackerError` carrying the tracker's own
message (GitHub's ``message`` and ``errors``, Jira's ``errorMessages`` and
``errors``), permanent for the 4xx that the same request will always get
(not 408, 429, nor a 403 that says the rate limit is spent); 5xx, timeouts and
refused connections are retried. Messages never hold a URL's credentials nor
any header: only the tracker's name, the method and the path.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tocsin import __version__
from tocsin.notify.webhook import is_permanent
from tocsin.postmortems.trackers import TrackerError

TIMEOUT_SECONDS = 10.0
#: The most characters of a tracker's message kept.
MAX_MESSAGE = 500
USER_AGENT = f"Tocsin/{__version__} issue-tracker-sync"


def _detail(data: Any) -> str:
    """The tracker's own words in an error body (GitHub's or Jira's shape), else ''."""
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    if isinstance(data.get("message"), str):
        parts.append(data["message"])
    for message in data.get("errorMessages") or []:
        parts.append(str(message))
    errors = data.get("errors")
    if isinstance(errors, dict):
        parts.extend(f"{field}: {message}" for field, message in errors.items())
    elif isinstance(errors, list):
        for error in errors:
            if isinstance(error, dict):
                said = error.get("message") or error.get("code") or ""
                parts.append(f"{error.get('field', error.get('resource', ''))}: {said}")
    return "; ".join(part for part in parts if part)


def _rate_limited(response: httpx.Response) -> bool:
    return response.status_code == 403 and (
        response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers
    )


def call(
    what: str,
    method: str,
    url: str,
    path: str,
    *,
    headers: dict[str, str],
    body: Any = None,
    content: bytes | None = None,
    params: dict[str, str] | None = None,
) -> Any:
    """``method`` ``url`` (whose path, for messages, is ``path``); its JSON answer or None."""
    sent = {"User-Agent": USER_AGENT, **headers}
    if body is not None:
        content = json.dumps(body, separators=(",", ":")).encode()
    if content is not None:
        sent["Content-Type"] = "application/json"
    try:
        response = httpx.request(
            method, url, headers=sent, content=content, params=params, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as error:
        raise TrackerError(
            f"cannot reach {what} ({method} {path}): {type(error).__name__}", permanent=False
        ) from None
    if response.is_success:
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            return None
    try:
        detail = _detail(response.json())
    except ValueError:
        detail = ""
    said = f"{what} answered HTTP {response.status_code} to {method} {path}"
    if detail:
        said += f": {detail[:MAX_MESSAGE]}"
    permanent = is_permanent(response.status_code) and not _rate_limited(response)
    raise TrackerError(said, permanent=permanent)
