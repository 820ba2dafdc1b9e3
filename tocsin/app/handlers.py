"""The job handlers Tocsin ships, gathered into one registry."""

from __future__ import annotations

from tocsin.alerts import handlers as alert_handlers
from tocsin.app import definition_reactions
from tocsin.engine.registry import HandlerRegistry
from tocsin.incidents import declaration
from tocsin.oncall import handoff
from tocsin.paging import hooks as paging_hooks


def builtin_registry() -> HandlerRegistry:
    """A registry with every built-in handler; capabilities add theirs here."""
    registry = HandlerRegistry()
    declaration.register(registry)
    alert_handlers.register(registry)
    paging_hooks.register(registry)
    handoff.register(registry)
    definition_reactions.register(registry)
    return registry
