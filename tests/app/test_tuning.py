"""The server process's collector tuning: start-up frozen, young collections rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.alerts.support import quiet_client
from tocsin.app.service import Tocsin
from tocsin.app.tuning import YOUNG_THRESHOLD, tune_collector


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*threshold)


def test_what_start_up_loaded_is_frozen_and_young_collections_are_rarer(collector: None) -> None:
    loaded = [object()]
    tune_collector()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert all(tracked is not loaded for tracked in gc.get_objects())


def test_the_app_tunes_the_collector_when_it_starts(tocsin: Tocsin, collector: None) -> None:
    with quiet_client(tocsin):
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
