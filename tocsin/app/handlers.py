"""The job handlers Tocsin ships, gathered into one registry, and how capabilities hook in.

Capabilities talk through job kinds: paging handles the jobs alerts queue
(``alert_group.opened``, ``alert_group.changed``) and incidents queue
(``incident.changed``, ``incident.stakeholders``). Formal declaration runs
named hooks, given here, once per registry.
"""

from __future__ import annotations

from tocsin.alerts import handlers as alert_handlers
from tocsin.app import definition_reactions
from tocsin.engine.registry import HandlerRegistry
from tocsin.incidents import declaration
from tocsin.oncall import handoff
from tocsin.paging import triggers as paging
from tocsin.statuspage import maintenance_jobs


def builtin_registry() -> HandlerRegistry:
    """A registry with every built-in handler; capabilities add theirs here."""
    registry = HandlerRegistry()
    declaration.register(registry, declaration.FormalDeclaration([paging.DECLARATION_HOOK]))
    alert_handlers.register(registry)
    paging.register(registry)
    handoff.register(registry)
    definition_reactions.register(registry)
    maintenance_jobs.register(registry)
    return registry
