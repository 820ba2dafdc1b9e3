"""What follows a definition written, whoever wrote it (``tocsin config apply``, the API).

Configuration knows no capability: writing definitions queues a
``config.definitions.written`` job (:mod:`tocsin.config.changes`). Here, at the
composition root, each kind of definition is given the capabilities' reactions
to it; a new reaction is a line in :data:`REACTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.config.changes import DEFINITIONS_WRITTEN, DefinitionsWritten
from tocsin.config.organisation import TEAM
from tocsin.engine.registry import HandlerRegistry, JobContext
from tocsin.oncall import handoff
from tocsin.oncall.config_schema import SCHEDULE
from tocsin.postmortems import digests, tracker_sync
from tocsin.postmortems.config_schema import POSTMORTEMS
from tocsin.postmortems.trackers import ISSUE_TRACKER
from tocsin.statuspage import exporting
from tocsin.statuspage.config_schema import STATUS_PAGE, STATUS_PAGE_COMPONENT

#: (the job's transaction, the names written, when they were, now) -> None.
Reaction = Callable[[Session, Sequence[str], datetime, datetime], None]

#: By kind of definition, what follows writing some: on-call plans a schedule's handoffs
#: again; the status page's static copy is written again; each team's weekly digest of its
#: action items is planned (new teams, or new digest settings); issue trackers' polls are planned.
REACTIONS: Mapping[str, Reaction] = {
    SCHEDULE: handoff.schedules_written,
    STATUS_PAGE: exporting.definitions_written,
    STATUS_PAGE_COMPONENT: exporting.definitions_written,
    TEAM: digests.definitions_written,
    POSTMORTEMS: digests.definitions_written,
    ISSUE_TRACKER: tracker_sync.trackers_written,
}


def definitions_written(ctx: JobContext, written: DefinitionsWritten) -> None:
    """The ``config.definitions.written`` job: each written kind's reaction, in one transaction."""
    with ctx.transaction() as session:
        now = ctx.clock.now()
        for kind, names in written.definitions.items():
            reaction = REACTIONS.get(kind)
            if reaction is not None:
                reaction(session, names, written.at, now)


def register(registry: HandlerRegistry) -> None:
    registry.register(DEFINITIONS_WRITTEN, definitions_written)
