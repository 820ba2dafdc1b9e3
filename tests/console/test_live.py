"""Live topics: one poll per topic however many watch, every watcher woken, nothing left over."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.app.service import Tocsin
from tocsin.auth import accounts
from tocsin.auth.tables import User
from tocsin.console.live import Broadcaster, Topic


def test_a_change_written_elsewhere_wakes_every_watcher_once(tocsin: Tocsin) -> None:
    reads: list[int] = []

    def users(session: Session) -> Hashable:
        reads.append(1)
        return session.scalar(select(func.count()).select_from(User))

    topic = Topic("users", users)
    broadcaster = Broadcaster(tocsin.database, poll_seconds=0.01)

    async def scenario() -> list[int]:
        heard = [0, 0, 0]

        async def watch(n: int) -> None:
            async for _ in broadcaster.changes(topic):
                heard[n] += 1

        watchers = [asyncio.create_task(watch(n)) for n in range(3)]
        while broadcaster.watched() == 0 or len(reads) < 3:
            await asyncio.sleep(0.01)  # real time: the poller's first reads
        assert broadcaster.watched() == 1, "three watchers of one topic share one poller"
        with tocsin.database.transaction() as session:
            accounts.create_user(
                session,
                now=tocsin.clock.now(),
                actor="test",
                name="new",
                email=None,
                role="viewer",
            )
        for _ in range(500):
            if all(heard):
                break
            await asyncio.sleep(0.01)
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        return heard

    # Its own thread: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        heard = thread.submit(asyncio.run, scenario()).result()
    assert heard == [1, 1, 1]
    assert broadcaster.watched() == 0, "the last watcher leaving stops the poller"
