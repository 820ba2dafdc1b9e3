"""Job kinds: typed payloads written and read back, and what a bad stored payload does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

import pytest

from tocsin.engine.jobs import ClaimedJob
from tocsin.engine.kinds import BadPayload, JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure


@dataclass(frozen=True)
class Example:
    group_id: int
    at: datetime
    note: str = ""
    since: datetime | None = None


EXAMPLE = JobKind("example.kind", Example)


def test_a_payload_is_stored_as_json_and_read_back() -> None:
    at = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)
    stored = EXAMPLE.dump(Example(group_id=7, at=at, note="n"))
    assert stored == {"group_id": 7, "at": "2026-12-03T22:30:00+00:00", "note": "n", "since": None}
    assert EXAMPLE.load(stored) == Example(group_id=7, at=at, note="n")


def test_keys_an_older_release_wrote_are_ignored_and_defaults_fill_missing_ones() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    loaded = EXAMPLE.load({"group_id": 1, "at": at.isoformat(), "retired_key": True})
    assert loaded == Example(group_id=1, at=at)


def test_a_payload_missing_a_required_field_is_refused_naming_the_kind() -> None:
    with pytest.raises(BadPayload, match=r"example\.kind"):
        EXAMPLE.load({"at": "2026-01-01T00:00:00+00:00"})


def test_a_payload_of_another_kind_is_not_written() -> None:
    with pytest.raises(TypeError, match=r"example\.kind carries Example"):
        EXAMPLE.dump({"group_id": 1})  # type: ignore[arg-type]


def test_a_kind_needs_a_dataclass() -> None:
    with pytest.raises(TypeError, match="not a dataclass"):
        JobKind("bad", dict)


def test_a_registered_handler_gets_the_typed_payload_and_a_bad_one_fails_for_good() -> None:
    seen: list[Example] = []

    def handle(_: JobContext, payload: Example) -> None:
        seen.append(payload)

    registry = HandlerRegistry()
    registry.register(EXAMPLE, handle)
    run = registry.handler("example.kind")
    assert run is not None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    job = ClaimedJob(1, "example.kind", {"group_id": 3, "at": at.isoformat()}, 1, 10, at)
    run(cast(JobContext, SimpleNamespace(job=job)))
    assert seen == [Example(group_id=3, at=at)]
    broken = ClaimedJob(2, "example.kind", {"at": at.isoformat()}, 1, 10, at)
    with pytest.raises(PermanentFailure, match="group_id"):
        run(cast(JobContext, SimpleNamespace(job=broken)))
