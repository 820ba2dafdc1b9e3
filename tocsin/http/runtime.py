"""What a route needs of the running Tocsin: its settings, database and clock.

The composition root (:class:`tocsin.app.service.Tocsin`) provides more; a
capability that needs one more part of it (the alerts' group committer)
declares a protocol of its own that extends :class:`Runtime`. Capabilities
name these protocols, never the container, so none of them imports the app.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from tocsin.db.database import Database
from tocsin.kernel.clock import Clock
from tocsin.kernel.settings import Settings


class Runtime(Protocol):
    """The parts of a running Tocsin that every capability may use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


def runtime_of(request: Request) -> Runtime:
    """The running Tocsin of the app ``request`` reached (for code outside dependencies)."""
    runtime: Runtime = request.app.state.tocsin
    return runtime


async def get_runtime(request: Request) -> Runtime:
    """The app's running Tocsin; async so that resolving it never takes a worker thread."""
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
