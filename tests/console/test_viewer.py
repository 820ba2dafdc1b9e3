"""The console's rules without a browser: sign-in, CSRF, roles, refusals as pages, next=."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tocsin.app.service import Tocsin
from tocsin.auth import accounts
from tocsin.auth.accounts import Principal
from tocsin.console.rendering import duration, when
from tocsin.console.viewer import Viewer

PASSWORD = "correct horse"


def _log_in(
    tocsin: Tocsin, client: TestClient, name: str, role: str, *, next_path: str = "/"
) -> str:
    """Create ``name`` with ``role``, log in through the form; the page's CSRF token."""
    with tocsin.database.transaction() as session:
        accounts.create_user(
            session,
            now=tocsin.clock.now(),
            actor="test",
            name=name,
            email=None,
            role=role,
            password=PASSWORD,
        )
    form = client.get(f"/login?next={next_path}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={
            "username": name,
            "password": PASSWORD,
            "csrf_token": csrf.group(1),
            "next": next_path,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    home = client.get("/")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', home.text)
    assert token is not None
    return token.group(1)


def test_a_page_without_a_session_sends_to_login_and_back(
    tocsin: Tocsin, client: TestClient
) -> None:
    answer = client.get("/outbox?limit=5", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/outbox%3Flimit%3D5"
    form = client.get(answer.headers["location"])
    assert 'name="next" value="/outbox?limit=5"' in form.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_sends_to_another_site(tocsin: Tocsin, client: TestClient, target: str) -> None:
    with tocsin.database.transaction() as session:
        accounts.create_user(
            session,
            now=tocsin.clock.now(),
            actor="test",
            name="nia",
            email=None,
            role="viewer",
            password=PASSWORD,
        )
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"username": "nia", "password": PASSWORD, "csrf_token": csrf.group(1), "next": target},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_a_write_needs_the_csrf_token_and_the_role(tocsin: Tocsin, client: TestClient) -> None:
    token = _log_in(tocsin, client, "vic", "viewer")
    no_token = client.post("/pages/1/acknowledge", data={})
    assert no_token.status_code == 403
    assert "did not come from this console" in no_token.text
    wrong = client.post("/pages/1/acknowledge", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    viewer = client.post("/pages/1/acknowledge", data={"csrf_token": token})
    assert viewer.status_code == 403
    assert "needs the responder role; you are a viewer" in viewer.text
    assert "Nothing was changed" in viewer.text


def test_refusals_and_bad_input_are_pages_with_their_status(
    tocsin: Tocsin, client: TestClient
) -> None:
    token = _log_in(tocsin, client, "rex", "responder")
    missing = client.post("/pages/999/acknowledge", data={"csrf_token": token})
    assert missing.status_code == 404
    assert "no page 999" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    invalid = client.post("/pages/zero/acknowledge", data={"csrf_token": token})
    assert invalid.status_code == 422
    assert "page_id" in invalid.text


def test_a_write_after_the_session_ended_says_so(tocsin: Tocsin, client: TestClient) -> None:
    answer = client.post("/pages/1/acknowledge", data={"csrf_token": "x"})
    assert answer.status_code == 401
    assert "log in again" in answer.text


def test_times_are_shown_in_the_viewers_zone_with_utc_on_hover(
    tocsin: Tocsin, client: TestClient
) -> None:
    _log_in(tocsin, client, "zoe", "admin")
    with tocsin.database.transaction() as session:
        user = accounts.find_user(session, "zoe")
        assert user is not None
        user.time_zone = "Asia/Tokyo"
    assert 'title="Times shown in Asia/Tokyo"' in client.get("/").text
    principal = Principal(user_id=1, name="zoe", role="admin", via="session")
    shown = when(
        datetime(2026, 6, 1, 23, 30, tzinfo=UTC), Viewer(principal, ZoneInfo("Asia/Tokyo"))
    )
    assert shown == (
        '<time datetime="2026-06-01T23:30:00+00:00" title="2026-06-01 23:30:00 UTC">'
        "Tue 02 Jun 2026 08:30 JST</time>"
    )


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=3, seconds=59), "3 min"),
        (timedelta(hours=3, minutes=5), "3 h 5 min"),
        (timedelta(days=2, hours=4, minutes=1), "2 d 4 h"),
        (timedelta(seconds=-5), "0 s"),
    ],
)
def test_durations_read_in_their_two_largest_units(span: timedelta, words: str) -> None:
    assert duration(span) == words
