"""Fixtures: a Tocsin on a fake clock over each database backend, and an API client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.databases import backends, database_url
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.auth import accounts
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings

# Rich wraps tables to the terminal width; without a terminal (pytest-xdist
# workers) that is 80 columns, which would split the cells tests look for.
os.environ.setdefault("COLUMNS", "250")


@pytest.fixture(params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    with database_url(backend, tmp_path) as url:
        yield Settings.load(data_dir=tmp_path, database_url=url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tocsin(settings: Settings, clock: FakeClock) -> Iterator[Tocsin]:
    opened = Tocsin.open(settings, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with TestClient(create_app(tocsin), base_url="https://testserver") as test_client:
        yield test_client


@dataclass(frozen=True)
class Caller:
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_caller(tocsin: Tocsin, name: str, role: str) -> Caller:
    with tocsin.database.transaction() as session:
        user = accounts.create_user(
            session,
            now=tocsin.clock.now(),
            actor="test",
            name=name,
            email=f"{name}@example.com",
            role=role,
        )
        _, plain = accounts.create_token(session, user, now=tocsin.clock.now(), actor="test")
    return Caller(name, plain)


@pytest.fixture
def admin(tocsin: Tocsin) -> Caller:
    return make_caller(tocsin, "ada", "admin")


@pytest.fixture
def responder(tocsin: Tocsin) -> Caller:
    return make_caller(tocsin, "rex", "responder")


@pytest.fixture
def viewer(tocsin: Tocsin) -> Caller:
    return make_caller(tocsin, "vic", "viewer")
