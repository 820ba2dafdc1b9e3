"""Incident metrics: whether response is getting better (docs/metrics.md).

Every report reads what the other capabilities record (incidents, alert
groups and alerts, pages) for a period and filters, drills left out, and lets
the database do the counting: only figures, one row per rule, week or person,
come back. The definitions are the domain's (:mod:`tocsin.domain.lifecycle`
for MTTD/MTTA/MTTR, :mod:`tocsin.domain.metric_calendar` for weeks and
working hours, :mod:`tocsin.domain.grouping` for alert outcomes).

Where things are:

- ``filters``: the question (:class:`~tocsin.metrics.filters.Asked`: period,
  severity, service, team, source) checked per report into
  :class:`~tocsin.metrics.filters.Filters`, refusing unknown names by field;
  ``conditions``: the WHERE clauses each report applies, drills excluded.
- ``expressions``: response times as the indexes hold them, and instants as
  local epoch seconds (the SQL constructs are ``tocsin.db.instants``).
- The reports: ``response`` (MTTD, MTTA, MTTR: mean, median, p90, counts),
  ``frequency`` (incidents per ISO week by severity and by service),
  ``alert_quality`` (accuracy per rule, noisiest first; flapping and
  auto-resolved alerts per service), ``oncall_load`` (pages per person, after
  hours).
- ``routes`` and ``schemas``: ``/api/v1/metrics/...``; ``cli``: ``tocsin metrics``.
  The console's pages are ``tocsin.console.metrics``.

Postmortem on-time rate and action item completion (issue 15) are not here yet:
they belong in a ``postmortems`` report module of this package, reading the
postmortem and action item tables with the same :class:`~tocsin.metrics.filters.Asked`
(a team standing for the services it owns, drills left out), with its
``/api/v1/metrics/postmortems`` route in ``routes``, a ``tocsin metrics
postmortems`` command in ``cli`` and a tab of the console's Metrics pages.
"""
