"""Paging fixtures: the seed configuration plus people, a real SMTP server and HTTP sink."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.support.sinks import HttpSink, SmtpSink, http_sink, smtp_sink
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.app.service import Tocsin
from tocsin.config.apply import apply
from tocsin.config.validate import validate_directory
from tocsin.db.database import Database

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "config"
WEBHOOK_SECRET = "test-signing-secret"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        monkeypatch.setenv("TOCSIN_MAIL_HOST", sink.host)
        monkeypatch.setenv("TOCSIN_MAIL_PORT", str(sink.port))
        monkeypatch.setenv("TOCSIN_MAIL_FROM", "tocsin@example.com")
        yield sink


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpSink]:
    with http_sink() as receiver:
        monkeypatch.setenv("TOCSIN_WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setenv("TOCSIN_PUBLIC_URL", "https://tocsin.example.com")
        monkeypatch.setenv("TOCSIN_DELIVERY_TIMEOUT", "5")
        yield receiver


def people_yaml(sink: HttpSink) -> str:
    """The seed schedule's engineers reachable by webhook (a, b) and email (c), and their team."""
    return f"""
users:
  engineer-a:
    email: a@example.com
    contact_methods:
      - {{type: webhook, url: "{sink.url("/a")}"}}
      - {{type: email, address: a@example.com}}
  engineer-b:
    email: b@example.com
    contact_methods:
      - {{type: webhook, url: "{sink.url("/b")}"}}
  engineer-c:
    email: c@example.com
    contact_methods:
      - {{type: email, address: c@example.com}}
  lead:
    email: lead@example.com
    contact_methods:
      - {{type: webhook, url: "{sink.url("/lead")}"}}
  root:
    email: root@example.com
    role: admin
teams:
  platform:
    members: [engineer-a, engineer-b, engineer-c, lead]
    roles: {{team_lead: lead}}
    escalation_policy: on-call-schedule
notification_rules:
  engineer-a:
    high_urgency: [{{method: webhook}}]
    low_urgency: [{{method: email}}]
schedules:
  lunch:
    time_zone: UTC
    layers:
      - name: noon
        rotation: weekly
        handoff_day: monday
        handoff_time: "12:00"
        start: 2026-01-05T12:00:00
        participants: [engineer-c]
        restrictions: [{{start: "12:00", end: "13:00"}}]
escalation_policies:
  b-only:
    steps: [{{targets: [{{user: engineer-b}}], timeout_minutes: 5}}]
  b-thrice:
    steps: [{{targets: [{{user: engineer-b}}], timeout_minutes: 5}}]
    repeat: 2
  a-only:
    steps: [{{targets: [{{user: engineer-a}}], timeout_minutes: 5}}]
  lead-only:
    steps: [{{targets: [{{user: lead}}], timeout_minutes: 5}}]
  gap-then-b:
    steps:
      - {{targets: [{{schedule: lunch, layer: noon}}], timeout_minutes: 5}}
      - {{targets: [{{user: engineer-b}}], timeout_minutes: 5}}
  nobody:
    steps: [{{targets: [{{role: vp_of_engineering}}], timeout_minutes: 5}}]
services:
  api:
    team: platform
    escalation_policy: on-call-schedule
"""


def configure(
    tocsin: Tocsin, directory: Path, files: dict[str, str], *, seeds: bool = True
) -> None:
    """Write ``files`` (plus the seed examples) to ``directory`` and apply them."""
    apply_files(tocsin.database, directory, files, tocsin.clock.now(), seeds=seeds)


def apply_files(
    database: Database, directory: Path, files: dict[str, str], now: datetime, *, seeds: bool = True
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if seeds:
        for seed in SEEDS.glob("*.yaml"):
            shutil.copy(seed, directory / seed.name)
    for name, text in files.items():
        (directory / name).write_text(text)
    validation = validate_directory(directory, CONFIG_KINDS, now=now)
    assert validation.ok, [str(issue) for issue in validation.errors]
    with database.transaction() as session:
        apply(session, validation.configuration, now=now)
