"""The web app a process manager's worker builds (``bot.web.asgi:app``)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.web import asgi
from tests.support.helpers import SchoolBuilder


def test_a_worker_keeps_what_it_built_out_of_the_collectors_passes(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker freezes what it built to serve: the cyclic collector's passes over the old
    objects no longer walk the whole app on a view (never given back: it serves until it
    stops, as tests/conftest.py keeps what collection made)."""
    context = school.context(demo=True, base_url="http://testserver")
    monkeypatch.setattr(asgi, "load_settings", lambda: context.settings)
    monkeypatch.setattr(asgi, "warm_up", lambda: None)  # no checking process in a test
    before = gc.get_freeze_count()
    web = asgi.app()
    assert gc.get_freeze_count() > before
    with TestClient(web) as client:
        assert client.get("/healthz").json() == {"ok": True}
    web.state.ctx.store.dispose()
    context.store.dispose()


def test_run_s_one_process_settles_as_a_worker_does_before_it_serves(
    school: SchoolBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run`` (one process, no ``--workers``) freezes what it built before uvicorn serves,
    as a worker's factory does: read at the moment serving would start."""
    import uvicorn

    from bot.cli import serve

    context = school.context(demo=True, base_url="http://testserver")
    monkeypatch.setattr(asgi, "warm_up", lambda: None)  # no checking process in a test
    at_serving: list[tuple[int, Any]] = []

    def run(server: uvicorn.Server) -> None:  # what serving would start with, not served
        at_serving.append((gc.get_freeze_count(), server.config.app))

    monkeypatch.setattr(uvicorn.Server, "run", run)
    before = gc.get_freeze_count()
    serve._serve(context.settings, "127.0.0.1", 0, scheduler=False)
    [(frozen, web)] = at_serving
    assert frozen > before
    web.state.ctx.store.dispose()
    context.store.dispose()
