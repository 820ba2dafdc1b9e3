"""The job handlers Tocsin ships, gathered into one registry."""

from __future__ import annotations

from tocsin.engine.registry import HandlerRegistry
from tocsin.incidents import declaration


def builtin_registry() -> HandlerRegistry:
    """A registry with every built-in handler; capabilities add theirs here."""
    registry = HandlerRegistry()
    declaration.register(registry)
    return registry
