"""Reading applied definitions back as typed values.

Whatever reads stored definitions must not depend on the integrity of the
others of its kind: a row this version cannot load (written before a check
existed, or edited in the database) is skipped with a logged warning, so one
bad definition cannot stop incidents from being declared or alerts from being
stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from pydantic import ValidationError

from tocsin.config.tables import Definition

log = logging.getLogger("tocsin.config")

T = TypeVar("T")


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, item['loc'])) or 'spec'}: {item['msg']}"
            for item in error.errors(include_url=False)
        )
    return str(error)


def loaded(
    rows: Iterable[Definition], load: Callable[[Definition], T]
) -> Iterator[tuple[Definition, T]]:
    """Each row with what ``load`` makes of it, skipping (and logging) rows it refuses.

    ``load`` refuses a row by raising ``ValueError`` (Pydantic's and the
    domain's errors are ones), ``TypeError`` or ``KeyError``.
    """
    for row in rows:
        try:
            value = load(row)
        except (ValueError, TypeError, KeyError) as error:
            log.warning(
                "skipping stored %s %r: it cannot be loaded (%s); fix or delete it",
                row.kind,
                row.name,
                _reason(error),
            )
            continue
        yield row, value
