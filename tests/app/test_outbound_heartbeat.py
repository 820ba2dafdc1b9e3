"""The outbound heartbeat: pings while Tocsin is ready, not while it is not; its URL is secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.alerts.support import alerts, integration, served
from tests.conftest import make_caller
from tests.support.faults import Fault, advance_until, faultable_tocsin
from tests.support.processes import wait_for
from tests.support.sinks import HttpSink, http_sink
from tocsin.app.cli import app as cli
from tocsin.app.outbound_heartbeat import Heartbeat
from tocsin.app.service import Tocsin
from tocsin.app.web_app import create_app
from tocsin.kernel.clock import FakeClock
from tocsin.kernel.settings import Settings

SECRET = "0123456789abcdef-check-uuid"
PATH = f"/ping/{SECRET}"


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpSink]:
    with http_sink() as receiver:
        monkeypatch.setenv("TOCSIN_HEARTBEAT_URL", receiver.url(PATH))
        monkeypatch.setenv("TOCSIN_HEARTBEAT_INTERVAL_SECONDS", "30")
        yield receiver


@pytest.fixture
def down(
    sink: HttpSink, backend: str, tmp_path: Path, clock: FakeClock
) -> Iterator[tuple[Tocsin, Fault]]:
    with faultable_tocsin(backend, tmp_path / "db", clock) as opened:
        yield opened


def heartbeat_of(tocsin: Tocsin) -> Heartbeat:
    assert tocsin.heartbeat is not None
    return tocsin.heartbeat


def started(tocsin: Tocsin) -> Tocsin:
    """The engine running and past its first cycle (ready), without the heartbeat's thread."""
    tocsin.engine.start()
    wait_for(lambda: tocsin.engine.last_cycle is not None, timeout=30, what="a first cycle")
    return tocsin


def test_no_url_no_heartbeat(tocsin: Tocsin) -> None:
    assert tocsin.heartbeat is None


def test_a_ready_tocsin_pings_and_an_unready_one_does_not(
    down: tuple[Tocsin, Fault],
    sink: HttpSink,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tocsin.heartbeat")
    tocsin, outage = down
    heartbeat = heartbeat_of(started(tocsin))
    assert heartbeat.beat()
    [ping] = sink.received(PATH)
    assert ping.headers["User-Agent"].startswith("Tocsin/")

    outage.begin()
    advance_until(clock, tocsin.engine.poll, lambda: tocsin.engine.failing is not None, "failure")
    assert not heartbeat.beat()
    assert not heartbeat.beat()
    assert len(sink.received(PATH)) == 1

    outage.end()
    advance_until(clock, tocsin.engine.poll, lambda: tocsin.engine.failing is None, "recovery")
    assert heartbeat.beat()
    assert len(sink.received(PATH)) == 2
    logged = [r for r in caplog.records if r.name == "tocsin.heartbeat"]
    assert [r.levelno for r in logged] == [logging.WARNING, logging.INFO]
    paused = logged[0].getMessage()
    assert paused.startswith("heartbeat paused, not ready: ")
    assert "job engine cannot commit: OperationalError" in paused
    assert logged[1].getMessage() == "heartbeat resumed: ready again"
    assert SECRET not in caplog.text


def test_a_ping_that_fails_is_logged_once_without_the_url(
    sink: HttpSink, tocsin: Tocsin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tocsin.heartbeat")
    heartbeat = heartbeat_of(started(tocsin))
    sink.failing[PATH] = 503
    assert not heartbeat.beat()
    assert not heartbeat.beat()
    del sink.failing[PATH]
    assert heartbeat.beat()
    messages = [r.getMessage() for r in caplog.records if r.name == "tocsin.heartbeat"]
    shown = "http://127.0.0.1/…"  # scheme and host: the rest may be the secret
    assert messages == [
        f"heartbeat to {shown} failed: HTTP 503",
        f"heartbeat to {shown} is answered again",
    ]
    assert SECRET not in caplog.text and SECRET not in repr(heartbeat)


def test_the_heartbeat_pings_every_interval_on_the_clock(
    sink: HttpSink, tocsin: Tocsin, clock: FakeClock
) -> None:
    with TestClient(create_app(tocsin)):  # starts the engine and the heartbeat, like serve
        wait_for(lambda: tocsin.engine.last_cycle is not None, timeout=30, what="a first cycle")
        assert sink.received(PATH) == []
        clock.advance(seconds=30)
        wait_for(lambda: len(sink.received(PATH)) == 1, timeout=30, what="the first ping")
        clock.advance(seconds=30)
        wait_for(lambda: len(sink.received(PATH)) == 2, timeout=30, what="the second ping")


def test_two_tocsins_watch_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """Tocsin A pings a heartbeat integration of Tocsin B; when A stops, B raises an alert."""
    b_clock = FakeClock()
    b = Tocsin.open(Settings.load(data_dir=tmp_path / "b"), clock=b_clock)
    try:
        with TestClient(create_app(b, start_engine=False)) as b_api, served(b) as b_url:
            admin = make_caller(b, "ada", "admin")
            key = integration(
                b_api, admin, "tocsin-a", "heartbeat", heartbeat={"interval": "1m", "grace": "1m"}
            )
            monkeypatch.setenv("TOCSIN_HEARTBEAT_URL", f"{b_url}/api/v1/heartbeats/{key}")
            monkeypatch.setenv("TOCSIN_HEARTBEAT_METHOD", "get")
            a = Tocsin.open(Settings.load(data_dir=tmp_path / "a"), clock=clock)
            try:
                assert heartbeat_of(started(a)).beat()
            finally:
                a.close()  # A dies: no more pings
            b_clock.advance(minutes=1)
            b.engine.run_until_idle()
            assert alerts(b) == []
            b_clock.advance(minutes=1, seconds=1)
            b.engine.run_until_idle()
            [alert] = alerts(b)
            assert alert.summary.startswith("Heartbeat tocsin-a missed")
    finally:
        b.close()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TOCSIN_HEARTBEAT_URL", "ftp://host/secret-path", "must be an http:// or https:// URL"),
        ("TOCSIN_HEARTBEAT_INTERVAL_SECONDS", "0", "must be a number of seconds, at least 1"),
        ("TOCSIN_HEARTBEAT_METHOD", "DELETE", "must be one of GET, HEAD, POST, PUT"),
    ],
)
def test_bad_heartbeat_settings_are_refused_naming_the_setting(
    variable: str, value: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(cli, ["db", "current", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{variable} {expected}" in result.output
    assert "secret-path" not in result.output
