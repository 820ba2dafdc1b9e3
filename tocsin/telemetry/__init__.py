"""Tocsin's own health in numbers, for Prometheus: plumbing that capabilities record into.

- ``instruments``: the series recorded in memory as Tocsin works (job lateness,
  alerts received, page deliveries, escalation step lateness, HTTP request
  durations) and the functions that record them; the only names capabilities use.
- ``processes``: prometheus_client's multiprocess mode for ``tocsin serve
  --workers N``, so that counts add up across the workers.
- ``exposition``: one scrape, the recorded series and the gauges read from the
  database at scrape time (:class:`~tocsin.telemetry.exposition.ScrapeGauge`),
  as Prometheus text.
- ``middleware``: the ASGI middleware timing HTTP requests by route template.

The ``/metrics`` route, its access rule and the gauges that read capabilities'
tables are in :mod:`tocsin.app.metrics`, the one place that knows them all.
docs/monitoring-tocsin.md documents every series.
"""
