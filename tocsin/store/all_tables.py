"""Import every module that defines tables so the metadata is complete."""

from tocsin.store import incidents, tables

__all__ = ["incidents", "tables"]
