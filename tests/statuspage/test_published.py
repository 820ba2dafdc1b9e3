"""Each page's edition: read once for all the readers who arrive together."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.statuspage.support import set_up
from tocsin.app.service import Tocsin
from tocsin.statuspage import published, reading
from tocsin.statuspage.audiences import MAIN, Audience
from tocsin.statuspage.config_schema import StatusPageSettings
from tocsin.statuspage.reading import Snapshot


def test_readers_arriving_together_read_the_snapshot_once(
    tocsin: Tocsin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up(tocsin, tmp_path)
    real = reading.snapshot
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(
        session: Session, audience: Audience, settings: StatusPageSettings, now: datetime
    ) -> Snapshot:
        calls.append(audience.slug)
        entered.set()
        release.wait(30)
        return real(session, audience, settings, now)

    monkeypatch.setattr(published, "snapshot", slow)
    editions = published.Editions(tocsin.database, tocsin.clock)
    got: list[published.Edition] = []
    first = threading.Thread(target=lambda: got.append(editions.current(MAIN)))
    first.start()
    assert entered.wait(30)
    others = [
        threading.Thread(target=lambda: got.append(editions.current(MAIN))) for _ in range(12)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(30)
    assert len(got) == 13 and all(edition is got[0] for edition in got)
    assert calls == [MAIN]


def test_a_change_committed_while_a_snapshot_was_read_is_not_hidden(
    tocsin: Tocsin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up(tocsin, tmp_path)
    real = reading.snapshot
    editions = published.Editions(tocsin.database, tocsin.clock)

    def forgotten_meanwhile(
        session: Session, audience: Audience, settings: StatusPageSettings, now: datetime
    ) -> Snapshot:
        editions.forget()  # as a commit in this process does
        return real(session, audience, settings, now)

    monkeypatch.setattr(published, "snapshot", forgotten_meanwhile)
    edition = editions.current(MAIN)
    assert edition.checked_at == float("-inf")  # the next reader checks the version again
