"""What the alerts' routes and listeners need of the running Tocsin: also the group committer."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from tocsin.alerts.committer import GroupCommitter
from tocsin.http.runtime import Runtime


class AlertsRuntime(Runtime, Protocol):
    """A :class:`Runtime` with the writer that commits inbound alerts together."""

    @property
    def committer(self) -> GroupCommitter: ...


async def get_alerts_runtime(request: Request) -> AlertsRuntime:
    """The app's running Tocsin, as the alerts see it (async: no worker thread)."""
    runtime: AlertsRuntime = request.app.state.tocsin
    return runtime


AlertsRuntimeDep = Annotated[AlertsRuntime, Depends(get_alerts_runtime)]
