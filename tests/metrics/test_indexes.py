"""Each response time is read in order from its index, on both databases; postmortems and
action items of a period are ranges of theirs.

The index expressions (migration 0011, the model in tocsin.incidents.tables)
and the queries (tocsin.metrics.response) must spell the same expression, or
every percentile becomes a sort of every duration: the plans say which.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Select, select, text

from tocsin.app.service import Tocsin
from tocsin.metrics import action_item_completion, conditions, postmortem_timeliness, response
from tocsin.metrics.expressions import RESPONSE_TIMES, ResponseTime
from tocsin.metrics.filters import Filters
from tocsin.postmortems.tables import ActionItem, Postmortem


def plan(tocsin: Tocsin, query: Select[*tuple[Any, ...]]) -> str:
    with tocsin.database.sessions() as session:
        dialect = session.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            # On a table this small a scan and a sort would win; forbid them to see
            # whether the index can serve the order at all.
            for method in ("seqscan", "bitmapscan", "sort"):
                session.execute(text(f"SET LOCAL enable_{method} = off"))
            rows = [str(row[0]) for row in session.execute(text("EXPLAIN " + sql))]
        else:
            rows = [str(row[-1]) for row in session.execute(text("EXPLAIN QUERY PLAN " + sql))]
        return "\n".join(rows)


@pytest.mark.parametrize("metric", RESPONSE_TIMES, ids=lambda metric: metric.name)
def test_percentiles_walk_the_metric_index(tocsin: Tocsin, metric: ResponseTime) -> None:
    found = plan(tocsin, response.ordered(metric, Filters()).offset(3).limit(1))
    assert metric.index in found, found
    assert "TEMP B-TREE" not in found and "Sort" not in found, found


def test_counts_and_sums_read_the_summary_index(tocsin: Tocsin) -> None:
    if tocsin.database.dialect != "sqlite":
        pytest.skip("PostgreSQL picks by its statistics of a large table (bench/metrics.py)")
    found = plan(tocsin, response.totals_query(Filters()))
    assert f"COVERING INDEX {response.SUMMARY_INDEX} " in found, found


def test_postmortems_due_in_a_period_are_a_range_of_their_index(tocsin: Tocsin) -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    period = Filters(start=datetime(2026, 1, 1, tzinfo=UTC), end=now)
    rows = select(Postmortem.id.label("id"), *postmortem_timeliness._flags(now))
    found = plan(tocsin, postmortem_timeliness._matching(rows, period))
    assert postmortem_timeliness.INDEX in found, found
    # Each postmortem's incident is read by id, not every incident walked.
    assert "ix_incidents_drill_detected" not in found, found


def test_action_items_created_in_a_period_are_a_range_of_their_index(tocsin: Tocsin) -> None:
    period = Filters(start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2027, 1, 1, tzinfo=UTC))
    found = plan(tocsin, select(ActionItem.status).where(*conditions.action_items(period)))
    assert action_item_completion.INDEX in found, found
