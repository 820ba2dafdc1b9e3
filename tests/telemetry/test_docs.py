"""The dashboard and the alert rules in docs/ read documented series only, and parse."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.telemetry.support import DOCS, documented

DASHBOARD = DOCS / "grafana" / "tocsin-dashboard.json"
RULES = DOCS / "prometheus" / "tocsin-alerts.yaml"
#: A Tocsin series' name in PromQL (the rest is functions, labels and numbers).
_NAME = re.compile(r"\b(tocsin_[a-z0-9_]+)")
_HISTOGRAM_PARTS = ("_bucket", "_sum", "_count")


def exprs(node: Any) -> Iterator[str]:
    """Every ``expr`` string anywhere in a JSON or YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from exprs(value)
    elif isinstance(node, list):
        for item in node:
            yield from exprs(item)


def series_named(expr: str) -> set[str]:
    """The documented series an expression reads (a histogram's parts name the histogram)."""
    known = documented()
    found = set()
    for name in _NAME.findall(expr):
        if name not in known:
            for part in _HISTOGRAM_PARTS:
                base = name.removesuffix(part)
                if base != name and known.get(base) and known[base].type == "histogram":
                    name = base
        assert name in known, f"{expr!r} reads {name}, which docs/monitoring-tocsin.md lacks"
        found.add(name)
    return found


def test_every_dashboard_panel_reads_documented_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = list(exprs(dashboard["panels"]))
    assert len(queries) >= 10
    used: set[str] = set()
    for expr in queries:
        named = series_named(expr)
        assert named, f"{expr!r} reads no documented series"
        used |= named
    assert used == set(documented()), "every documented series has a panel"
    assert {"datasource"} <= {item["name"] for item in dashboard["templating"]["list"]}


def load_rules() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(RULES.read_text(encoding="utf-8"))
    return loaded


def test_the_alert_rules_parse_and_cover_dead_jobs_lateness_and_a_missing_tocsin() -> None:
    [group] = load_rules()["groups"]
    assert group["name"] == "tocsin"
    rules = {rule["alert"]: rule for rule in group["rules"]}
    for name, rule in rules.items():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, name
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), name
        assert series_named(rule["expr"]) or "up{" in rule["expr"], name
    assert 'tocsin_jobs{state="dead"}' in rules["TocsinDeadJobs"]["expr"]
    assert "tocsin_job_lateness_seconds_bucket" in rules["TocsinJobsLate"]["expr"]
    assert "tocsin_escalation_step_lateness_seconds" in rules["TocsinEscalationStepsLate"]["expr"]
    assert "tocsin_jobs_overdue_seconds" in rules["TocsinJobsStalled"]["expr"]
    assert rules["TocsinDown"]["expr"] == 'up{job="tocsin"} == 0'
    assert rules["TocsinMissing"]["expr"] == 'absent(up{job="tocsin"})'
    guide = (DOCS / "monitoring-tocsin.md").read_text(encoding="utf-8")
    for name in rules:
        assert f"| `{name}` |" in guide, f"{name} is not described in the guide"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None
    checked = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_readme_links_the_guide() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "(docs/monitoring-tocsin.md)" in readme
