"""The postmortem tests' fixtures: an API at a given time, a draft, a published postmortem;
and paging's (a real SMTP server and HTTP sink), for postmortems that follow real pages.

A module whose tests start at another time overrides ``start``.
"""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.paging.conftest import sink, smtp
from tests.postmortems.support import MONDAY, commanded_draft, outbox_api, public_ready
from tocsin.app.service import Tocsin
from tocsin.kernel.clock import FakeClock

__all__ = ["api", "pm", "refs", "sink", "smtp", "start"]


@pytest.fixture
def start() -> datetime:
    """The fake clock's time when the API starts."""
    return MONDAY


@pytest.fixture
def api(
    tocsin: Tocsin,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    start: datetime,
) -> Iterator[TestClient]:
    """The API without engine threads at ``start``, messages recorded in the outbox."""
    with outbox_api(tocsin, clock, tmp_path / "config", monkeypatch, start) as c:
        yield c


@pytest.fixture
def pm(tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller) -> dict[str, Any]:
    """A SEV-2's draft, owned by rex (its Incident Commander)."""
    return commanded_draft(tocsin, api, admin, responder)


@pytest.fixture
def refs(tocsin: Tocsin, api: TestClient, admin: Caller, responder: Caller) -> dict[str, str]:
    """A published postmortem of a SEV-2 told on the status page (see ``public_ready``)."""
    return public_ready(api, tocsin, admin, responder)
