"""What the alerts pages' lists share: the filters of their GET form and pages of rows.

Status and service narrow the query through the same indexes the API's lists
use (:mod:`tocsin.alerts.presentation`), newest first by keyset cursor.
Severity and label matchers (``env=prod``, ``team=~"pay.*"``, written as
silences write them) are checked on the rows those indexes yield: a page
reads at most :data:`SCAN` rows, so its cost stays bounded at any depth, and
the "Next page" cursor starts after the last row read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select
from sqlalchemy.orm import Session

from tocsin.alerts.presentation import check_service_filter
from tocsin.alerts.presentation import page as keyset_page
from tocsin.db import keyset
from tocsin.domain.matchers import Matcher, MatcherError, parse_all
from tocsin.domain.refusals import Invalid

#: Rows a console list shows per page.
PAGE_SIZE = 50
#: Most rows one page reads when severity or labels narrow the list further.
SCAN = 1000
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass(frozen=True)
class Filters:
    """The list form's values, as sent (empty strings are "any")."""

    status: str
    service: str
    severity: str
    labels: str

    @property
    def matchers(self) -> tuple[Matcher, ...]:
        texts = split_matchers(self.labels)
        try:
            return parse_all(texts)
        except MatcherError as error:
            raise Invalid("labels", str(error), where="query") from error

    def check(self, session: Session) -> None:
        if self.severity and self.severity not in SEVERITIES:
            raise Invalid("severity", f"must be one of {', '.join(SEVERITIES)}", where="query")
        check_service_filter(session, self.service or None)
        _ = self.matchers

    def query(self, cursor: str | None = None) -> str:
        """These filters (and ``cursor``) as a query string, for links."""
        values = {
            "status": self.status,
            "service": self.service,
            "severity": self.severity,
            "labels": self.labels,
        }
        if cursor:
            values["cursor"] = cursor
        return urlencode({key: value for key, value in values.items() if value})


def split_matchers(text: str) -> list[str]:
    """``env=prod, team="a,b"`` as its matchers: commas (or new lines) outside quotes split."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in ",\n" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


@dataclass(frozen=True)
class Listing:
    """One page of a console list: its rows, the next page's cursor, how many match."""

    rows: list[Any]
    next_cursor: str | None
    total: int | None
    exact: bool
    scanned: bool


def listing(
    session: Session,
    query: Select[Any],
    id_column: Any,
    *,
    counted: Select[Any] | None = None,
    keep: Callable[[Any], bool] | None,
    cursor: str | None,
) -> Listing:
    """A page of ``query`` newest first; ``keep`` (if any) narrows it within :data:`SCAN` rows."""
    if keep is None:
        rows, count = keyset_page(
            session, query, id_column, counted=counted, limit=PAGE_SIZE, cursor=cursor, offset=0
        )
        return Listing(rows.rows, rows.next_cursor, count.total, count.exact, scanned=False)
    order = keyset.Order((id_column,))
    batch = keyset.page(session, query, order, limit=SCAN, cursor=cursor)
    kept: list[Any] = []
    for index, row in enumerate(batch.rows):
        if not keep(row):
            continue
        kept.append(row)
        if len(kept) == PAGE_SIZE:
            last = index == len(batch.rows) - 1
            following = batch.next_cursor if last else keyset.encode([row.id])
            return Listing(kept, following, None, False, scanned=True)
    return Listing(kept, batch.next_cursor, None, False, scanned=True)
