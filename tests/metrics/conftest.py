"""The API client here does not start the engine: tests run due jobs with ``run_until_idle``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.alerts.support import quiet_client
from tocsin.app.service import Tocsin


@pytest.fixture
def client(tocsin: Tocsin) -> Iterator[TestClient]:
    with quiet_client(tocsin) as test_client:
        yield test_client
