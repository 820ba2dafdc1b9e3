"""Import every module that defines tables so the metadata is complete."""

from tocsin.store import incidents, oncall, outbox, tables

__all__ = ["incidents", "oncall", "outbox", "tables"]
