"""Live pages: a change to a topic reaches every page watching it as a server-sent event.

A topic is something pages watch (one incident's timeline, the alert queue)
and a cheap query whose answer changes whenever it does (the newest entry's
id, say). Each process polls each watched topic once per
:data:`POLL_SECONDS`, however many pages watch it, and tells every watcher
when the answer moves; the page then fetches the part that changed (htmx's
``hx-trigger="sse:NAME"``). Polling the database, rather than signalling
inside one process, is what makes a change written by another worker, the
CLI or an inbound integration show up too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field

import anyio.to_thread
from fastapi import Request
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse

from tocsin.db.database import Database

#: How often a watched topic is read, in real seconds: changes arrive within this.
POLL_SECONDS = 0.2
#: A comment line this often keeps proxies from closing a quiet stream.
PING_SECONDS = 15


#: A topic's state before its first successful read.
_UNREAD = object()


@dataclass(frozen=True)
class Topic:
    """What pages watch: ``key`` names it, ``version`` reads its current state."""

    key: str
    version: Callable[[Session], Hashable]


@dataclass
class _Channel:
    topic: Topic
    watchers: set[asyncio.Queue[None]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class Broadcaster:
    """One per process: polls the watched topics and wakes their watchers."""

    def __init__(self, database: Database, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self._channels: dict[str, _Channel] = {}

    def _read(self, topic: Topic) -> Hashable:
        with self.database.sessions() as session:
            return topic.version(session)

    async def _poll(self, channel: _Channel) -> None:
        last: Hashable = _UNREAD
        while True:
            try:
                current = await anyio.to_thread.run_sync(self._read, channel.topic)
            except Exception:  # the database is away for a moment: try again next poll
                current = _UNREAD
            if current is not _UNREAD:
                if last is not _UNREAD and current != last:
                    for queue in channel.watchers:
                        with contextlib.suppress(asyncio.QueueFull):
                            queue.put_nowait(None)
                last = current
            await asyncio.sleep(self.poll_seconds)

    async def changes(self, topic: Topic) -> AsyncIterator[None]:
        """Yield once for each change of ``topic`` from now on, until the caller stops."""
        channel = self._channels.get(topic.key)
        if channel is None:
            channel = self._channels[topic.key] = _Channel(topic)
        queue: asyncio.Queue[None] = asyncio.Queue(maxsize=1)
        channel.watchers.add(queue)
        if channel.task is None:
            channel.task = asyncio.create_task(self._poll(channel))
        try:
            while True:
                await queue.get()
                yield None
        finally:
            channel.watchers.discard(queue)
            if not channel.watchers and channel.task is not None:
                channel.task.cancel()
                del self._channels[topic.key]

    def watched(self) -> int:
        """How many topics are being polled now (for tests and the benchmark)."""
        return len(self._channels)


def stream(request: Request, topic: Topic, event: str) -> EventSourceResponse:
    """A page's event stream: ``event`` each time ``topic`` changes."""
    broadcaster: Broadcaster = request.app.state.console_live

    async def events() -> AsyncIterator[dict[str, str]]:
        yield {"event": "ready", "data": topic.key}
        async for _ in broadcaster.changes(topic):
            yield {"event": event, "data": topic.key}

    return EventSourceResponse(events(), ping=PING_SECONDS)
