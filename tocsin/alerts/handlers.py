"""The alerts' job handlers, registered at start-up by the composition root.

Each kind's payload and handler live with what they do (the paging hand-over
in :mod:`~tocsin.alerts.handover` is paging's to handle): suppression ends in
:mod:`~tocsin.alerts.groups`, auto-resolve in :mod:`~tocsin.alerts.auto_resolve`
and heartbeat checks in :mod:`~tocsin.alerts.heartbeats`. Each does its
database work inside ``ctx.transaction()``, so it commits once, together with
the job's completion.
"""

from __future__ import annotations

from tocsin.alerts.auto_resolve import AUTO_RESOLVE, auto_resolve
from tocsin.alerts.groups import SUPPRESSION_ENDED, suppression_ended
from tocsin.alerts.heartbeats import HEARTBEAT_CHECK, heartbeat_check
from tocsin.engine.registry import HandlerRegistry


def register(registry: HandlerRegistry) -> None:
    registry.register(SUPPRESSION_ENDED, suppression_ended)
    registry.register(AUTO_RESOLVE, auto_resolve)
    registry.register(HEARTBEAT_CHECK, heartbeat_check)
