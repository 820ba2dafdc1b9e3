"""Every report served through the extension point of :mod:`tocsin.metrics.reports`.

Adding a report is a module defining a :class:`~tocsin.metrics.reports.Report`
and a line here: the API route, the command and the console tab follow.
"""

from __future__ import annotations

from typing import Any

from tocsin.metrics import action_item_completion, postmortem_timeliness
from tocsin.metrics.reports import Report

REPORTS: tuple[Report[Any], ...] = (
    postmortem_timeliness.REPORT,
    action_item_completion.REPORT,
)
