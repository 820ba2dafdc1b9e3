"""A real ``tocsin serve --demo`` and real headless Chromium, for the console's browser tests.

The server runs on SQLite in a temporary folder with a file clock (moved by
:meth:`ConsoleServer.advance`), deliveries recorded in the outbox, and the demo
people: ``alice`` (admin), ``bruno`` (responder) and ``erin`` (viewer) get the
password :data:`PASSWORD`. Chromium is Debian's (``/usr/bin/chromium`` or
``TOCSIN_CHROMIUM``), driven by Playwright; nothing is downloaded.

:func:`check_accessible` runs axe-core (installed from npm by ``make setup``)
in the page; :func:`screenshot` writes a picture to a temporary folder, or to
``docs/screenshots`` when ``TOCSIN_SCREENSHOTS=docs`` (``make screenshots``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.support import processes
from tocsin.app.demo import KEY_FILE
from tocsin.auth import accounts
from tocsin.db.database import Database
from tocsin.kernel.settings import Settings

REPO = processes.REPO
#: Monday 09:00 UTC: alice holds the demo's europe layer of payments-oncall.
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
PEOPLE = {"admin": "alice", "responder": "bruno", "viewer": "erin"}
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def chromium_path() -> str | None:
    configured = os.environ.get("TOCSIN_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class ConsoleServer:
    """A running ``tocsin serve --demo`` and the means to set it up and move its clock."""

    url: str
    data_dir: Path
    clock_file: Path
    token: str
    now: datetime = START
    log: Path = field(default_factory=Path)

    @property
    def demo_key(self) -> str:
        return (self.data_dir / KEY_FILE).read_text().strip()

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the API as ``alice`` (admin), with an API token."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def trigger(self, summary: str, **payload: Any) -> None:
        """A PagerDuty Events v2 trigger with the demo key, as a monitoring system sends it."""
        answer = httpx.post(
            self.url + "/v2/enqueue",
            json={
                "routing_key": self.demo_key,
                "event_action": "trigger",
                "dedup_key": uuid.uuid4().hex,
                "payload": {
                    "summary": summary,
                    "source": "db-1",
                    "severity": "critical",
                    **payload,
                },
            },
            timeout=30,
        )
        assert answer.status_code == 202, answer.text

    def advance(self, span: timedelta) -> None:
        """Move every process's clock forward by ``span``."""
        self.now += span
        self.clock_file.write_text(self.now.isoformat())


def _prepare_people(data_dir: Path) -> str:
    """Console passwords for the demo people, and an admin API token (returned)."""
    database = Database(Settings.load(data_dir=data_dir))
    try:
        with database.transaction() as session:
            for name in PEOPLE.values():
                user = accounts.find_user(session, name)
                assert user is not None, f"the demo defines no {name}"
                accounts.set_password(session, user, PASSWORD, now=START, actor="test")
            admin = accounts.find_user(session, PEOPLE["admin"])
            assert admin is not None
            _, plain = accounts.create_token(session, admin, now=START, actor="test", name="tests")
    finally:
        database.dispose()
    return plain


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    data_dir = tmp_path_factory.mktemp("console")
    clock_file = data_dir / "clock"
    clock_file.write_text(START.isoformat())
    port = processes.free_port()
    env = processes.environment(
        f"sqlite:///{data_dir / 'tocsin.db'}",
        data_dir,
        TOCSIN_CLOCK_FILE=str(clock_file),
        TOCSIN_INSECURE_COOKIES="1",
        TOCSIN_DELIVERY="outbox",
        TOCSIN_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    env.pop("TOCSIN_HANDLER_MODULES")
    log = data_dir / "serve.log"
    server = processes.start(
        ["serve", "--demo", "--host", "127.0.0.1", "--port", str(port)], env, log
    )
    url = f"http://127.0.0.1:{port}"
    with processes.running([server]):

        def up() -> bool:
            try:
                return httpx.get(url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        processes.wait_for(up, timeout=60, what=f"tocsin serve (log: {log})")
        token = _prepare_people(data_dir)
        yield ConsoleServer(url, data_dir, clock_file, token, log=log)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: make setup installs Debian's chromium package")
        pytest.skip("Chromium is missing: run make setup (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            launched.close()


#: Answers a test provokes on purpose (a refusal shown as a page), which Chromium logs.
REFUSALS = tuple(f"status of {code} " for code in (401, 403, 409, 422))


class Problems:
    """Console errors and failed requests a page met (a CSP violation is one).

    A refusal (401, 403, 409, 422) is the page a person should see, not a
    broken page; a missing file (404) or a server error is a problem.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(code in message.text for code in REFUSALS):
            self.seen.append(message.text)


def open_page(
    browser: Browser,
    server: ConsoleServer,
    role: str = "responder",
    *,
    viewport: dict[str, int] | None = None,
    color_scheme: str = "light",
) -> Page:
    """A new browser context signed in as the demo person with ``role``, on the home page."""
    context = browser.new_context(
        base_url=server.url,
        viewport=viewport or DESKTOP,  # type: ignore[arg-type]
        color_scheme=color_scheme,  # type: ignore[arg-type]
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = Problems()
    page.on("console", problems.console)
    page.problems = problems  # type: ignore[attr-defined]
    page.goto("/login")
    page.get_by_label("User name").fill(PEOPLE[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server.url + "/")
    return page


def no_problems(page: Page) -> None:
    """Fail on any console error the page logged (CSP violations, failed scripts)."""
    seen: list[str] = page.problems.seen  # type: ignore[attr-defined]
    assert not seen, f"the page logged errors: {seen}"


def check_accessible(page: Page) -> None:
    """axe-core's serious and critical violations on the current page; none allowed.

    The script is evaluated through the DevTools protocol, which the page's CSP
    does not govern, so the policy under test stays as strict as served.
    """
    page.evaluate(AXE.read_text() + "\n;0")
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    assert not found, f"axe-core on {page.url}:\n{json.dumps(found, indent=2)}"


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    """A full-page picture: into docs/screenshots when making the docs, else ``tmp_path``."""
    folder = SCREENSHOTS if os.environ.get("TOCSIN_SCREENSHOTS") == "docs" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def run_cli(server: ConsoleServer, *args: str) -> subprocess.CompletedProcess[str]:
    """``tocsin ARGS`` against the server's database."""
    env = processes.environment(f"sqlite:///{server.data_dir / 'tocsin.db'}", server.data_dir)
    return subprocess.run(
        [*processes.TOCSIN, *args], env=env, capture_output=True, text=True, check=False
    )
