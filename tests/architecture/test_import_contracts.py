"""The import contracts in pyproject.toml bite: a forbidden import fails ``lint-imports``.

Each test copies the tocsin tree and pyproject.toml to a temporary folder, adds one
forbidden import to a copied module and runs lint-imports there; the contract must break
and name the import that was added. The tree as it is keeps every contract.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.architecture.source import PACKAGE, REPOSITORY

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@dataclass(frozen=True)
class Breach:
    """Contract ``contract`` breaks when ``module`` gains ``line``; the report names ``shown``."""

    contract: str
    name: str
    module: str
    line: str
    shown: str


BREACHES = [
    Breach(
        "layers",
        "Layers: app -> console, web -> capabilities -> plumbing -> domain -> kernel",
        "engine/backoff.py",
        "import tocsin.web.ack",
        "tocsin.engine.backoff -> tocsin.web.ack",
    ),
    Breach(
        "domain-pure",
        "The domain imports no other part of tocsin and no third-party package",
        "domain/severity.py",
        "import tocsin.app.service",
        "tocsin.domain.severity -> tocsin.app.service",
    ),
    Breach(
        "domain-pure",
        "The domain imports no other part of tocsin and no third-party package",
        "domain/severity.py",
        "import sqlalchemy",
        "tocsin.domain.severity -> sqlalchemy",
    ),
    Breach(
        "kernel-alone",
        "The kernel imports nothing of tocsin",
        "kernel/clock.py",
        "import tocsin.db.base",
        "tocsin.kernel.clock -> tocsin.db.base",
    ),
    Breach(
        "engine-generic",
        "The engine imports no capability: tocsin.app registers the job kinds",
        "engine/backoff.py",
        "import tocsin.alerts.tables",
        "tocsin.engine.backoff -> tocsin.alerts.tables",
    ),
    Breach(
        "app-is-root",
        "Only the composition root imports tocsin.app",
        "web/headers.py",
        "import tocsin.app.service",
        "tocsin.web.headers -> tocsin.app.service",
    ),
    Breach(
        "db-boundary",
        "Prepared statements only in a statements module",
        "oncall/swaps.py",
        "import tocsin.db.prepared",
        "tocsin.oncall.swaps -> tocsin.db.prepared",
    ),
]


def _copy_tree(destination: Path) -> Path:
    shutil.copytree(PACKAGE, destination / "tocsin", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPOSITORY / "pyproject.toml", destination / "pyproject.toml")
    return destination


def _lint_imports(folder: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports in ``folder``, which it puts first on the import path."""
    chosen = [argument for contract in contracts for argument in ("--contract", contract)]
    environment = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *chosen],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = _lint_imports(REPOSITORY)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("breach", BREACHES, ids=lambda breach: f"{breach.contract}: {breach.line}")
def test_a_forbidden_import_breaks_its_contract(breach: Breach, tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    with (tree / "tocsin" / breach.module).open("a", encoding="utf-8") as module:
        module.write(f"\n{breach.line}  # added by the contract test\n")

    result = _lint_imports(tree, breach.contract)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{breach.name} BROKEN" in result.stdout, result.stdout + result.stderr
    assert breach.shown in result.stdout, result.stdout


def _cuts_needed(output: str) -> int:
    """How many imports lint-imports says to remove to make tocsin acyclic (0 when kept)."""
    found = re.search(r"made acyclic by removing (\d+) dependenc", output)
    return int(found.group(1)) if found else 0


def test_a_new_cycle_between_packages_breaks_the_acyclic_contract(tmp_path: Path) -> None:
    clean = _lint_imports(_copy_tree(tmp_path / "clean"), "acyclic")
    tree = _copy_tree(tmp_path / "cycle")
    for module, line in [
        ("kernel/clock.py", "import tocsin.domain.severity"),
        ("domain/severity.py", "import tocsin.kernel.clock"),
    ]:
        with (tree / "tocsin" / module).open("a", encoding="utf-8") as file:
            file.write(f"\n{line}  # added by the contract test\n")

    result = _lint_imports(tree, "acyclic")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "No import cycle between the packages of tocsin BROKEN" in result.stdout
    # The count of imports to cut is a heuristic's, not additive: it only grows with a new cycle.
    assert _cuts_needed(result.stdout) > _cuts_needed(clean.stdout), result.stdout
