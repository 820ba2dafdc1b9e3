"""Login throttling per user name and per address, and a bound on password checks at once."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from tests.conftest import Caller
from tocsin.app.service import Tocsin
from tocsin.auth import secrets
from tocsin.auth.throttle import LoginThrottle, ThrottlePolicy
from tocsin.console import login as pages
from tocsin.db.audit import AuditEntry
from tocsin.kernel.clock import FakeClock

PASSWORD = "correct horse"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords the login route checked (the real argon2 check runs)."""
    seen: list[str] = []

    def counting(stored: str | None, password: str) -> bool:
        seen.append(password)
        return secrets.verify_password(stored, password)

    monkeypatch.setattr(pages, "verify_password", counting)
    return seen


def throttle_of(client: TestClient, **policy: Any) -> LoginThrottle:
    app = client.app
    assert isinstance(app, FastAPI)
    throttle = LoginThrottle(ThrottlePolicy(**policy))
    app.state.login_throttle = throttle
    return throttle


def with_password(client: TestClient, admin: Caller, *names: str) -> None:
    for name in names:
        made = client.post(
            "/api/v1/users",
            headers=admin.headers,
            json={"name": name, "role": "responder", "password": PASSWORD},
        )
        assert made.status_code == 201, made.text


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )


def audit(tocsin: Tocsin, action: str) -> list[AuditEntry]:
    with tocsin.database.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(session.scalars(query))


def test_failed_logins_throttle_the_user_name_before_any_hashing(
    client: TestClient, tocsin: Tocsin, admin: Caller, clock: FakeClock, checks: list[str]
) -> None:
    throttle_of(client, per_user=3, per_address=100)
    with_password(client, admin, "carol", "dave")
    for _ in range(3):
        assert log_in(client, "carol", "wrong guess").status_code == 401
    refused = log_in(client, "carol")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "900"
    assert "Too many failed logins for this user name. Try again in 15 minutes." in refused.text
    assert 'value="carol"' in refused.text
    assert checks == ["wrong guess"] * 3  # the refused attempt was never hashed
    # Other people log in as usual meanwhile.
    assert log_in(client, "dave").status_code == 303

    clock.advance(minutes=10)
    later = log_in(client, "carol")
    assert (later.status_code, later.headers["retry-after"]) == (429, "300")
    assert "Try again in 5 minutes." in later.text
    clock.advance(minutes=5)
    assert log_in(client, "carol").status_code == 303

    failed = audit(tocsin, "session.login_failed")
    assert [(e.actor, e.object_key, e.remote_addr) for e in failed] == [
        ("(anonymous)", "carol", "testclient")
    ] * 3
    [throttled] = audit(tocsin, "session.login_throttled")
    assert (throttled.object_type, throttled.object_key) == ("user", "carol")
    assert throttled.detail == {"scope": "user", "retry_after_seconds": 900, "user": "carol"}


def test_failed_logins_from_one_address_throttle_that_address_only(
    client: TestClient, tocsin: Tocsin, admin: Caller, checks: list[str]
) -> None:
    throttle = throttle_of(client, per_user=100, per_address=3)
    with_password(client, admin, "carol")
    # A success does not clear the address's failures.
    assert log_in(client, "nobody-1", "guess").status_code == 401
    assert log_in(client, "carol").status_code == 303
    for name in ("nobody-2", "nobody-3"):
        assert log_in(client, name, "guess").status_code == 401
    refused = log_in(client, "carol")
    assert refused.status_code == 429
    assert "Too many failed logins from your address." in refused.text
    assert len(checks) == 4
    [throttled] = audit(tocsin, "session.login_throttled")
    assert (throttled.object_type, throttled.object_key) == ("address", "testclient")

    app = client.app
    assert isinstance(app, FastAPI)
    with TestClient(app, base_url="https://testserver", client=("192.0.2.7", 4000)) as other:
        assert app.state.login_throttle is throttle
        assert log_in(other, "carol").status_code == 303


def test_logins_beyond_the_concurrent_password_checks_are_refused_at_once(
    client: TestClient, admin: Caller, checks: list[str]
) -> None:
    throttle = throttle_of(client, concurrent_checks=2)
    with_password(client, admin, "carol")
    with ExitStack() as busy:
        for _ in range(2):
            assert busy.enter_context(throttle.password_check())
        refused = log_in(client, "carol")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "5"
        assert "Too many logins are being checked right now." in refused.text
        assert checks == []
    assert log_in(client, "carol").status_code == 303


@pytest.fixture
def connections_held(tocsin: Tocsin) -> Iterator[Counter[int]]:
    """Database connections checked out, per thread."""
    held: Counter[int] = Counter()

    def checked_out(*_: Any) -> None:
        held[threading.get_ident()] += 1

    def checked_in(*_: Any) -> None:
        held[threading.get_ident()] -= 1

    engine = tocsin.database.engine
    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)
    yield held
    event.remove(engine, "checkout", checked_out)
    event.remove(engine, "checkin", checked_in)


def test_passwords_are_checked_without_holding_the_database(
    client: TestClient,
    admin: Caller,
    monkeypatch: pytest.MonkeyPatch,
    connections_held: Counter[int],
) -> None:
    with_password(client, admin, "carol")
    held_while_checking: list[int] = []

    def observing(stored: str | None, password: str) -> bool:
        held_while_checking.append(connections_held[threading.get_ident()])
        return secrets.verify_password(stored, password)

    monkeypatch.setattr(pages, "verify_password", observing)
    assert log_in(client, "carol", "wrong guess").status_code == 401
    assert log_in(client, "carol").status_code == 303
    assert held_while_checking == [0, 0]


def test_the_throttle_remembers_a_bounded_number_of_names_and_addresses() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(ThrottlePolicy(per_user=2, per_address=1000, max_keys=10))
    throttle.failed("target", "192.0.2.1", clock.now())
    throttle.failed("target", "192.0.2.1", clock.now())
    assert throttle.refusal("target", None, clock.now()) is not None
    for index in range(50):
        clock.advance(seconds=1)
        throttle.failed(f"random-{index}", f"198.51.100.{index}", clock.now())
        assert len(throttle._failures) <= 10
    # The stalest keys went first: the newest guesses are still counted.
    assert ("user", "random-49") in throttle._failures
    assert ("user", "target") not in throttle._failures
