"""The threads a web process's synchronous work runs on.

Pages are Python work under one interpreter lock: more threads than that gives nothing but
contention. With 40 (anyio's default) and eight readers of the reports list at once, each read
cost 7.8 ms of CPU, against 4.6 ms on one thread (``tests/benchmarks/test_reports_benchmark.py``).
So every ``def`` page and dependency (FastAPI runs them on anyio's default limiter) shares
``PAGE_THREADS`` threads, set when the process starts serving.

Work that mostly waits — a hand-over pass's sends, an upload checked in a child process, the
platform's list refreshed after a change — runs through ``waiting`` on threads of its own, so
it never holds a page's place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

__all__ = ["PAGE_THREADS", "WAITING_THREADS", "use_page_threads", "waiting"]

PAGE_THREADS = 2  # one computing while the other waits for the database
WAITING_THREADS = 16
_WAITING: RunVar[CapacityLimiter] = RunVar("waiting_threads")
T = TypeVar("T")


def use_page_threads() -> None:
    """Give pages their threads (inside the running event loop, as the process starts)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = PAGE_THREADS


async def waiting(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on a thread of the waiting kind, never one a page needs."""
    try:
        limiter = _WAITING.get()
    except LookupError:
        limiter = CapacityLimiter(WAITING_THREADS)
        _WAITING.set(limiter)
    return await anyio.to_thread.run_sync(functools.partial(work, *args), limiter=limiter)
