"""Import every module that defines tables so the metadata is complete."""

from tocsin.store import incidents, oncall, tables

__all__ = ["incidents", "oncall", "tables"]
