"""One scrape: the recorded series and the gauges read from the database, as Prometheus text.

The recorded series are this process's (:mod:`tocsin.telemetry.instruments`)
or, in ``tocsin serve --workers N``, the sum over every process of the run
(:mod:`tocsin.telemetry.processes`). The gauges are counts the database
holds anyway (jobs by state, open incidents): each :class:`ScrapeGauge` is
one cheap grouped query, all of them in one read-only session per scrape,
never per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tocsin.db.database import Database
from tocsin.telemetry import instruments, processes

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

#: Prometheus' text format, version 0.0.4: what every Prometheus and agent reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: One sample of a gauge: its label values, in the gauge's label order, and its value.
Sample = tuple[Sequence[str], float]


@dataclass(frozen=True)
class ScrapeGauge:
    """A gauge read at scrape time: ``read`` gives its samples from a read-only session."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[Session], Iterable[Sample]]


class _Recorded:
    """This process's recorded series, as a collector of the scrape's registry."""

    def collect(self) -> Iterable[Metric]:
        return instruments.registry().collect()


class _Read:
    """The gauges, read in one session when the registry collects them."""

    def __init__(self, database: Database, gauges: Sequence[ScrapeGauge]) -> None:
        self.database = database
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.metrics_core import GaugeMetricFamily

        with self.database.sessions() as session:
            for gauge in self.gauges:
                family = GaugeMetricFamily(
                    gauge.name, gauge.documentation, labels=list(gauge.labels)
                )
                for labels, value in gauge.read(session):
                    family.add_metric(list(labels), value)
                yield family


def render(database: Database, gauges: Sequence[ScrapeGauge]) -> bytes:
    """Every series of this Tocsin, in Prometheus' text format (:data:`CONTENT_TYPE`)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    directory = processes.shared_directory()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    else:
        registry.register(_Recorded())
    registry.register(_Read(database, gauges))
    return generate_latest(registry)
