"""The series Tocsin records in memory as it works, and the functions that record them.

Capabilities and the engine call the functions below, never prometheus_client
itself. Each is an update in memory (in ``tocsin serve --workers N``, a write
to this process's memory-mapped file): no query, no I/O, no lock held longer
than the update.

The metric objects are built on first use, not when this module is imported:
prometheus_client chooses between its one-process and multiprocess storage
when it is first imported, and ``tocsin serve --workers N`` must have chosen
first (:mod:`tocsin.telemetry.processes`). So nothing in Tocsin imports
prometheus_client at module level.

Label values come from bounded sets: integration names and job kinds are
configured or registered, channels are contact method types, routes are
templates. docs/monitoring-tocsin.md lists every series.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

M = TypeVar("M", "Counter", "Histogram")

JOBS = "tocsin_jobs"
JOBS_OVERDUE = "tocsin_jobs_overdue_seconds"
JOB_LATENESS = "tocsin_job_lateness_seconds"
ALERTS_RECEIVED = "tocsin_alerts_received"
PAGE_DELIVERIES = "tocsin_page_deliveries"
STEP_LATENESS = "tocsin_escalation_step_lateness_seconds"
INCIDENTS_OPEN = "tocsin_incidents_open"
HTTP_DURATION = "tocsin_http_request_duration_seconds"
BUILD_INFO = "tocsin_build_info"

#: ``tocsin_alerts_received_total{result}``: a signal that opened, acknowledged or resolved an
#: alert; one that changed nothing (a repeat of what the alert already says); a refused request.
ACCEPTED, DEDUPLICATED, REFUSED = "accepted", "deduplicated", "refused"
#: ``tocsin_page_deliveries_total{result}``: the message left (or went to the outbox), or not.
SENT, FAILED = "sent", "failed"
#: The ``integration`` of a request refused before any integration was found (an unknown key).
NO_INTEGRATION = ""
#: The ``route`` of a request no route matched (a 404): never its path, which is unbounded.
UNMATCHED = "unmatched"
#: HTTP methods counted by name; any other is counted as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Seconds late: on time is well under a second; a busy engine, seconds; a stalled one, minutes.
LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
#: Seconds to answer: an alert takes milliseconds, a page of the console tens of them.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Labelled(Generic[M]):
    """A metric's children by label values, kept at hand.

    prometheus-client's ``labels()`` checks and converts the values and takes
    a lock on every call; the hot paths (every request, every alert) look
    their child up in a dict instead. Two threads missing together both get
    the one child ``labels()`` keeps.
    """

    def __init__(self, metric: M) -> None:
        self.metric: M = metric
        self.children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self.children.get(values)
        if child is None:
            child = self.children[values] = self.metric.labels(*values)
        return child


class _Instruments:
    """The metric objects, registered in a registry of Tocsin's own."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram
        from prometheus_client.metrics import disable_created_metrics

        # The ``_created`` series are not in the multiprocess output: left out in
        # one process too, so that both show the same series.
        disable_created_metrics()  # type: ignore[no-untyped-call]  # the library's, unannotated
        self.registry = CollectorRegistry(auto_describe=True)
        self.job_lateness = _Labelled(
            Histogram(
                JOB_LATENESS,
                "Seconds from when a job was due to when the engine started running it.",
                ["kind"],
                buckets=LATENESS_BUCKETS,
                registry=self.registry,
            )
        )
        self.alerts_received = _Labelled(
            Counter(
                ALERTS_RECEIVED,
                "Inbound signals by integration and what they did; refused requests count once.",
                ["integration", "result"],
                registry=self.registry,
            )
        )
        self.page_deliveries = _Labelled(
            Counter(
                PAGE_DELIVERIES,
                "Attempts to deliver a page notification, by contact method type and result.",
                ["channel", "result"],
                registry=self.registry,
            )
        )
        self.step_lateness = Histogram(
            STEP_LATENESS,
            "Seconds from when an escalation step was due to when it was taken.",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.http_duration = _Labelled(
            Histogram(
                HTTP_DURATION,
                "Seconds to answer an HTTP request, by route template, method and status class.",
                ["route", "method", "status_class"],
                buckets=DURATION_BUCKETS,
                registry=self.registry,
            )
        )


class _Built:
    """The instruments, built once, by whichever thread records first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._instruments: _Instruments | None = None

    def get(self) -> _Instruments:
        built = self._instruments
        if built is None:
            with self._lock:
                if self._instruments is None:
                    self._instruments = _Instruments()
                built = self._instruments
        return built


_BUILT = _Built()


def registry() -> CollectorRegistry:
    """This process's instruments (what ``/metrics`` shows when Tocsin runs in one process)."""
    return _BUILT.get().registry


def _seconds(delay: timedelta) -> float:
    """A delay in seconds; an instant before the due time counts as on time."""
    return max(0.0, delay.total_seconds())


def job_started(kind: str, lateness: timedelta) -> None:
    """The engine starts a job of ``kind``, ``lateness`` after it was due."""
    _BUILT.get().job_lateness(kind).observe(_seconds(lateness))


def alerts_received(integration: str, result: str, count: int = 1) -> None:
    """``count`` signals of ``integration`` did ``result`` (:data:`ACCEPTED`...)."""
    _BUILT.get().alerts_received(integration, result).inc(count)


def page_delivery(channel: str, result: str) -> None:
    """One attempt to deliver a page by a contact method of type ``channel``: :data:`SENT`..."""
    _BUILT.get().page_deliveries(channel, result).inc()


def escalation_step_taken(lateness: timedelta) -> None:
    """An escalation step was taken ``lateness`` after it was due."""
    _BUILT.get().step_lateness.observe(_seconds(lateness))


def request_served(route: str, method: str, status: int, seconds: float) -> None:
    """An HTTP request to ``route`` (a template) was answered ``status`` in ``seconds``."""
    named = method if method in METHODS else "other"
    status_class = f"{status // 100}xx" if 100 <= status < 600 else "other"
    _BUILT.get().http_duration(route, named, status_class).observe(seconds)
