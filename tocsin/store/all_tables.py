"""Import every module that defines tables so the metadata is complete."""

from tocsin.store import tables

__all__ = ["tables"]
