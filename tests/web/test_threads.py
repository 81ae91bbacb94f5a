"""Pages run on a few threads; work that waits (hand-over passes, uploads checked in a child
process) runs on threads of its own and never holds a page's place."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.to_thread
from fastapi.testclient import TestClient

from bot.engine.web.threads import PAGE_THREADS, use_page_threads, waiting
from tests.support.helpers import SchoolBuilder


def _page_threads() -> float:
    return anyio.to_thread.current_default_thread_limiter().total_tokens


def test_a_serving_app_gives_its_pages_their_threads(school: SchoolBuilder) -> None:
    from bot.web.app import create_app

    context = school.context(demo=True, base_url="http://testserver")
    with TestClient(create_app(context.settings, context)) as client:  # the app starts serving
        assert client.portal is not None
        assert client.portal.call(_page_threads) == PAGE_THREADS
        assert client.get("/healthz").json() == {"ok": True}
    context.store.dispose()


def test_waiting_work_runs_while_every_page_thread_is_busy() -> None:
    release = threading.Event()
    answers: list[int] = []

    async def main() -> None:
        use_page_threads()
        limiter = anyio.to_thread.current_default_thread_limiter()
        async with anyio.create_task_group() as pages:
            for _ in range(PAGE_THREADS):  # every page thread held by a page that waits
                pages.start_soon(anyio.to_thread.run_sync, release.wait)
            try:
                while limiter.borrowed_tokens < PAGE_THREADS:
                    await anyio.sleep(0.01)
                with anyio.move_on_after(30):  # bounded: a failure must not hang the suite
                    answers.append(await waiting(lambda: 42))
            finally:
                release.set()

    # a loop of its own, on a thread of its own: a browser test earlier on the same worker leaves
    # Playwright's sync API running an asyncio loop on this thread, and anyio.run refuses to
    # start inside it ("Already running asyncio in this thread")
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, main).result(timeout=60)
    assert answers == [42]
