"""Paging's fixtures (a real SMTP server and HTTP sink), for postmortems that follow real pages."""

from tests.paging.conftest import sink, smtp

__all__ = ["sink", "smtp"]
