"""Running a coroutine to completion from a plain test.

The console's browser tests hold Playwright's synchronous API open for the
whole session, and that API keeps an event loop marked as running in the main
thread. `asyncio.run` refuses to start inside it, so a plain test that runs on
the same worker after a browser test would fail depending on the order the
workers were handed their tests. A fresh thread has no running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on a new event loop in its own thread and return its result."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
