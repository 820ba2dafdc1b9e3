"""Reading ``/metrics`` as Prometheus would, and the series docs/monitoring-tocsin.md documents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from tocsin.telemetry import instruments

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDE = DOCS / "monitoring-tocsin.md"
#: A row of the guide's table of series: | `name` | type | `label`, `label` | meaning |
_ROW = re.compile(r"^\| `(tocsin_[a-z_]+)` \| (gauge|counter|histogram) \|([^|]*)\|", re.M)


@dataclass(frozen=True)
class Documented:
    name: str
    type: str
    labels: frozenset[str]

    @property
    def family(self) -> str:
        """The family name the parser gives: a counter's without its ``_total``."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


def documented() -> dict[str, Documented]:
    """The series of the guide's table, by name as exposed (counters with ``_total``)."""
    found = {}
    for name, kind, labels in _ROW.findall(GUIDE.read_text(encoding="utf-8")):
        found[name] = Documented(name, kind, frozenset(re.findall(r"`([a-z_]+)`", labels)))
    return found


@dataclass(frozen=True)
class Scrape:
    """One answer of ``/metrics``, parsed by prometheus-client's own parser."""

    text: str

    @property
    def families(self) -> dict[str, Metric]:
        return {family.name: family for family in text_string_to_metric_families(self.text)}

    def value(self, sample: str, **labels: str) -> float:
        """The sample named ``sample`` with exactly ``labels`` (0 when there is none)."""
        for family in self.families.values():
            for each in family.samples:
                if each.name == sample and each.labels == labels:
                    return float(each.value)
        return 0.0

    def label_names(self, family: str) -> set[frozenset[str]]:
        """The label names of the family's samples, ``le`` aside."""
        return {
            frozenset(name for name in each.labels if name != "le")
            for each in self.families[family].samples
        }

    def label_values(self, family: str, label: str) -> set[str]:
        return {
            each.labels[label] for each in self.families[family].samples if label in each.labels
        }


def recorded() -> Scrape:
    """What this process recorded so far (the series of ``instruments``, no gauges)."""
    return Scrape(generate_latest(instruments.registry()).decode())
