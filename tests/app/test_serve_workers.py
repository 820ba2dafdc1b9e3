"""``tocsin serve --workers``: what is refused before anything starts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tocsin.app.cli import app
from tocsin.app.serve import SQLITE_ONE_WORKER


def test_more_than_one_worker_on_sqlite_is_refused_saying_why_and_what_to_do(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == f"error: {SQLITE_ONE_WORKER}"
    assert "write lock" in SQLITE_ONE_WORKER
    assert "PostgreSQL" in SQLITE_ONE_WORKER
    assert not (tmp_path / "tocsin.db").exists()


def test_more_engine_workers_than_workers_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--data-dir", str(tmp_path), "--workers", "1", "--engine-workers", "2"]
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: --engine-workers: at most --workers (1), got 2"
