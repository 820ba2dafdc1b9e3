"""Fake GitHub and Jira Cloud servers on 127.0.0.1 that check requests as their docs define them.

Each is a real HTTP server. A request that breaks the documented shape (a
wrong path, method, header, credential, a missing or unknown field, a
description that is not the Atlassian Document Format) is answered as the
real API answers it (401, 404, 400 or 422 with its error body) and listed in
``violations``, which the tests expect empty unless they sent such a request on
purpose. ``fail_next`` queues answers (a status and a body) given to coming
requests instead, for the tracker's own failures.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.processes import free_port

Answer = tuple[int, Any]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi(ABC):
    """What both fakes share: the requests seen, the violations, the queued failures."""

    port: int = 0
    requests: list[Seen] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    queued: list[Answer | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, status: int, body: Any = None, times: int = 1, after: int = 0) -> None:
        """Answer ``status`` and ``body`` to ``times`` requests after ``after`` more."""
        with self.lock:
            self.queued.extend([None] * after + [(status, body)] * times)

    def seen(self, method: str | None = None) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if method is None or r.method == method]

    def refuse(self, message: str, answer: Answer) -> Answer:
        self.violations.append(message)
        return answer

    @abstractmethod
    def answer(self, request: Seen) -> Answer:
        """The documented answer to ``request``."""

    def handle(self, request: Seen) -> Answer:
        with self.lock:
            self.requests.append(request)
            queued = self.queued.pop(0) if self.queued else None
            return queued if queued is not None else self.answer(request)


@contextmanager
def serve(fake: FakeApi) -> Iterator[FakeApi]:
    fake.port = free_port()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            parts = urlsplit(self.path)
            seen = Seen(
                self.command,
                parts.path,
                parse_qs(parts.query),
                {key.lower(): value for key, value in self.headers.items()},
                body,
            )
            status, answer = fake.handle(seen)
            content = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            if content:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = _any

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", fake.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


# GitHub ------------------------------------------------------------------------------

GITHUB_CREATE_FIELDS = {"title", "body", "assignee", "milestone", "labels", "assignees", "type"}
GITHUB_UPDATE_FIELDS = GITHUB_CREATE_FIELDS | {"state", "state_reason"}
_ISSUES = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues(?:/(?P<number>\d+))?")


@dataclass
class FakeGitHub(FakeApi):
    """GitHub's REST API for issues of one repository (docs.github.com/rest/issues/issues)."""

    repository: str = "acme/infra"
    token: str = "ghp_test_token"
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)

    def _issue_url(self, number: int) -> str:
        return f"https://github.com/{self.repository}/issues/{number}"

    def close(self, number: int, reason: str) -> None:
        with self.lock:
            self.issues[number].update(state="closed", state_reason=reason)

    def answer(self, request: Seen) -> Answer:
        headers = request.headers
        if headers.get("authorization") != f"Bearer {self.token}":
            return self.refuse("no or wrong bearer token", (401, {"message": "Bad credentials"}))
        if headers.get("accept") != "application/vnd.github+json":
            self.violations.append(f"Accept was {headers.get('accept')!r}")
        if headers.get("x-github-api-version") != "2022-11-28":
            self.violations.append(
                f"X-GitHub-Api-Version was {headers.get('x-github-api-version')}"
            )
        match = _ISSUES.fullmatch(request.path)
        if match is None or match["repo"] != self.repository:
            return self.refuse(f"no such path {request.path}", (404, {"message": "Not Found"}))
        if match["number"] is None:
            if request.method != "POST":
                return self.refuse(f"{request.method} on issues", (404, {"message": "Not Found"}))
            return self._create(request.body)
        number = int(match["number"])
        if number not in self.issues:
            return (404, {"message": "Not Found"})
        if request.method == "GET":
            return (200, self.issues[number])
        if request.method == "PATCH":
            return self._update(number, request.body)
        return self.refuse(f"{request.method} on an issue", (404, {"message": "Not Found"}))

    def _invalid(self, message: str, field_name: str) -> Answer:
        return self.refuse(
            message,
            (
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Issue", "field": field_name, "code": "invalid"}],
                },
            ),
        )

    def _create(self, body: Any) -> Answer:
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("title"), str)
            or not body["title"]
        ):
            return self._invalid("an issue needs a title", "title")
        unknown = set(body) - GITHUB_CREATE_FIELDS
        if unknown:
            return self._invalid(f"unknown fields {sorted(unknown)}", sorted(unknown)[0])
        if not isinstance(body.get("body", ""), str):
            return self._invalid("body must be a string", "body")
        labels = body.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            return self._invalid("labels must be names", "labels")
        number = len(self.issues) + 1
        self.issues[number] = {
            "id": 1000 + number,
            "number": number,
            "url": f"https://api.github.com/repos/{self.repository}/issues/{number}",
            "html_url": self._issue_url(number),
            "state": "open",
            "state_reason": None,
            "title": body["title"],
            "body": body.get("body"),
            "labels": [{"name": name} for name in labels],
        }
        return (201, self.issues[number])

    def _update(self, number: int, body: Any) -> Answer:
        if not isinstance(body, dict):
            return self._invalid("a JSON object is expected", "body")
        unknown = set(body) - GITHUB_UPDATE_FIELDS
        if unknown:
            return self._invalid(f"unknown fields {sorted(unknown)}", sorted(unknown)[0])
        if "state" in body and body["state"] not in ("open", "closed"):
            return self._invalid("state is open or closed", "state")
        if "state_reason" in body:
            if "state" not in body:
                return self._invalid("state_reason changes only with state", "state_reason")
            if body["state_reason"] not in ("completed", "not_planned", "reopened", None):
                return self._invalid("unknown state_reason", "state_reason")
        issue = self.issues[number]
        issue.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
        if "state" in body:
            issue["state_reason"] = body.get("state_reason")
        return (200, issue)


# Jira ---------------------------------------------------------------------------------

_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
_BLOCKS = {"paragraph", "bulletList", "orderedList", "heading", "codeBlock", "blockquote", "rule"}
_JIRA_ISSUE = re.compile(
    r"/rest/api/3/issue(?:/(?P<key>[A-Z][A-Z0-9_]*-\d+)(?P<rest>/transitions)?)?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: Jira's default workflow: each status, its category, the transition that reaches it.
WORKFLOW = {
    "To Do": ("new", "11"),
    "In Progress": ("indeterminate", "21"),
    "Done": ("done", "31"),
    "Won't Do": ("done", "41"),
}


def adf_problems(node: Any, where: str = "description") -> list[str]:
    """What makes ``node`` not an Atlassian Document Format document (empty: it is one)."""
    if not isinstance(node, dict) or node.get("type") != "doc" or node.get("version") != 1:
        return [f"{where}: not a doc node of version 1"]
    content = node.get("content")
    if not isinstance(content, list):
        return [f"{where}: a doc holds a content list"]
    problems: list[str] = []
    for index, block in enumerate(content):
        problems += _block_problems(block, f"{where}.content[{index}]")
    return problems


def _block_problems(block: Any, where: str) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in _BLOCKS:
        return [f"{where}: not a block node"]
    content = block.get("content", [])
    if not isinstance(content, list):
        return [f"{where}: content must be a list"]
    problems: list[str] = []
    for index, child in enumerate(content):
        at = f"{where}.content[{index}]"
        if block["type"] in ("bulletList", "orderedList"):
            if not isinstance(child, dict) or child.get("type") != "listItem":
                problems.append(f"{at}: a list holds listItem nodes")
                continue
            for inner, item_block in enumerate(child.get("content") or []):
                problems += _block_problems(item_block, f"{at}.content[{inner}]")
            if not child.get("content"):
                problems.append(f"{at}: an empty listItem")
        elif block["type"] == "paragraph":
            problems += _inline_problems(child, at)
    return problems


def _inline_problems(node: Any, where: str) -> list[str]:
    if not isinstance(node, dict) or node.get("type") not in _INLINE:
        return [f"{where}: not an inline node"]
    if node["type"] == "text" and (not isinstance(node.get("text"), str) or not node["text"]):
        return [f"{where}: a text node holds non-empty text"]
    for mark in node.get("marks", []):
        if mark.get("type") == "link" and not (mark.get("attrs") or {}).get("href"):
            return [f"{where}: a link mark needs attrs.href"]
    return []


@dataclass
class FakeJira(FakeApi):
    """Jira Cloud's REST API v3 for issues of one project (developer.atlassian.com)."""

    project: str = "OPS"
    email: str = "bot@example.com"
    api_token: str = "jira-api-token"
    #: Accept this bearer token (OAuth 2.0, a personal access token) instead of Basic.
    bearer: str | None = None
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)

    def status(self, key: str) -> str:
        with self.lock:
            return str(self.issues[key]["status"])

    def set_status(self, key: str, name: str) -> None:
        with self.lock:
            self.issues[key]["status"] = name

    def _issue(self, key: str) -> dict[str, Any]:
        issue = self.issues[key]
        category = WORKFLOW[issue["status"]][0]
        return {
            "id": issue["id"],
            "key": key,
            "self": f"{self.url}/rest/api/3/issue/{issue['id']}",
            "fields": {
                "status": {"name": issue["status"], "statusCategory": {"key": category}},
            },
        }

    def answer(self, request: Seen) -> Answer:
        pair = base64.b64encode(f"{self.email}:{self.api_token}".encode()).decode()
        expected = f"Bearer {self.bearer}" if self.bearer else f"Basic {pair}"
        if request.headers.get("authorization") != expected:
            return self.refuse("no or wrong authentication", (401, None))
        if request.headers.get("accept") != "application/json":
            self.violations.append(f"Accept was {request.headers.get('accept')!r}")
        match = _JIRA_ISSUE.fullmatch(request.path)
        if match is None:
            return self.refuse(f"no such path {request.path}", (404, None))
        key, rest = match["key"], match["rest"]
        if key is None:
            if request.method != "POST":
                return self.refuse("only POST creates", (405, None))
            return self._create(request.body)
        if key not in self.issues:
            return (
                404,
                {
                    "errorMessages": [
                        "Issue does not exist or you do not have permission to see it."
                    ],
                    "errors": {},
                },
            )
        if rest:
            return self._transitions(key, request)
        if request.method == "GET":
            if request.query.get("fields") != ["status"]:
                self.violations.append(f"GET issue asked for fields {request.query.get('fields')}")
            return (200, self._issue(key))
        if request.method == "PUT":
            return self._edit(key, request.body)
        return self.refuse(f"{request.method} on an issue", (405, None))

    def _bad(self, field_name: str, message: str) -> Answer:
        return self.refuse(
            f"{field_name}: {message}",
            (400, {"errorMessages": [], "errors": {field_name: message}}),
        )

    def _field_problems(self, fields: dict[str, Any]) -> Answer | None:
        if "summary" in fields:
            summary = fields["summary"]
            if not isinstance(summary, str) or not summary.strip() or len(summary) > 255:
                return self._bad("summary", "You must specify a summary of the issue.")
        if "description" in fields:
            problems = adf_problems(fields["description"])
            if problems:
                return self._bad(
                    "description",
                    "Operation value must be an Atlassian Document: " + "; ".join(problems),
                )
        due = fields.get("duedate")
        if due is not None and not (isinstance(due, str) and _DATE.fullmatch(due)):
            return self._bad("duedate", "Error parsing date string: " + str(due))
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(" " in str(label) for label in labels):
            return self._bad("labels", "The label must not contain spaces.")
        return None

    def _create(self, body: Any) -> Answer:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return self._bad("fields", "the issue's fields are required")
        if (fields.get("project") or {}).get("key") != self.project:
            return self._bad("project", "valid project is required")
        if not (fields.get("issuetype") or {}).get("name"):
            return self._bad("issuetype", "Specify an issue type")
        if "summary" not in fields:
            return self._bad("summary", "You must specify a summary of the issue.")
        problem = self._field_problems(fields)
        if problem is not None:
            return problem
        number = len(self.issues) + 1
        key, identifier = f"{self.project}-{number}", str(10000 + number)
        self.issues[key] = {"id": identifier, "status": "To Do", "fields": fields}
        return (
            201,
            {"id": identifier, "key": key, "self": f"{self.url}/rest/api/3/issue/{identifier}"},
        )

    def _edit(self, key: str, body: Any) -> Answer:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return self._bad("fields", "fields or update is required")
        problem = self._field_problems(fields)
        if problem is not None:
            return problem
        self.issues[key]["fields"].update(fields)
        return (204, None)

    def _transitions(self, key: str, request: Seen) -> Answer:
        if request.method == "GET":
            return (
                200,
                {
                    "transitions": [
                        {
                            "id": transition,
                            "name": name,
                            "to": {"name": name, "statusCategory": {"key": category}},
                        }
                        for name, (category, transition) in WORKFLOW.items()
                        if name != self.issues[key]["status"]
                    ]
                },
            )
        if request.method != "POST":
            return self.refuse("transitions: GET or POST", (405, None))
        wanted = ((request.body or {}).get("transition") or {}).get("id")
        for name, (_, transition) in WORKFLOW.items():
            if transition == wanted:
                self.issues[key]["status"] = name
                return (204, None)
        return self._bad("transition", f"Transition id '{wanted}' is not valid for this issue.")


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub()) as fake:
        assert isinstance(fake, FakeGitHub)
        yield fake


@contextmanager
def fake_jira() -> Iterator[FakeJira]:
    with serve(FakeJira()) as fake:
        assert isinstance(fake, FakeJira)
        yield fake
