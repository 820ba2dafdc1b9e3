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
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.config.desired import SEVERITY
from tocsin.config.schema import SeverityConfig
from tocsin.config.tables import Definition
from tocsin.domain.severity import SeverityLevel, SeverityScale, level_key

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


def severity_scale(session: Session) -> SeverityScale:
    """The applied severity levels, most severe first (rank = position in the file).

    A level that cannot be loaded, or that repeats an earlier level's label
    ("sev 1" after "SEV-1"), is skipped.
    """
    rows = session.scalars(
        select(Definition).where(Definition.kind == SEVERITY).order_by(Definition.position)
    )
    levels: list[SeverityLevel] = []

    def level(row: Definition) -> SeverityLevel:
        config = SeverityConfig.model_validate(row.spec)
        clash = next((x for x in levels if level_key(x.level) == level_key(config.level)), None)
        if clash is not None:
            raise ValueError(f"level {config.level!r} is the same level as {clash.level!r}")
        return config.to_level(len(levels))

    for _, found in loaded(rows, level):
        levels.append(found)
    return SeverityScale(levels)
