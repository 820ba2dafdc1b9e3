"""Incident metrics: whether response is getting better (docs/metrics.md).

Every report reads what the other capabilities record (incidents, alert
groups and alerts, pages) for a period and filters, drills left out, and lets
the database do the counting (over years, from the rollups it keeps): only
figures, one row per rule, week or person, come back. The definitions are the
domain's (:mod:`tocsin.domain.lifecycle` for MTTD/MTTA/MTTR,
:mod:`tocsin.domain.metric_calendar` for weeks and working hours,
:mod:`tocsin.domain.grouping` for alert outcomes).

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
  hours), ``postmortem_timeliness`` (postmortems on time, late, overdue; the
  on-time rate), ``action_item_completion`` (action items per team: done,
  won't do, open, overdue; the completion rate).
- ``routes`` and ``schemas``: ``/api/v1/metrics/...``; ``cli``: ``tocsin metrics``.
  The console's pages are ``tocsin.console.metrics``.
- The extension point: ``reports`` (:class:`~tocsin.metrics.reports.Report`: a
  report's answer, its tables and its weekly chart) and ``registry`` (the
  registered reports, which ``routes``, ``cli`` and the console serve without
  code of their own: ``postmortem_timeliness`` and ``action_item_completion``);
  ``weeks`` (weekly buckets counted by the database). The indexes it reads are
  declared with the tables they index (migrations 0011, 0017, 0018, 0019).
- The rollups: ``tables`` (counts per UTC day and month: alerts, alert groups,
  incidents) and ``rollups`` (the hourly ``metrics.roll_up`` job keeping each
  family current, and how a period is read from them and from the rows);
  ``alert_quality`` and ``frequency`` define their families and read them.
"""
