"""An app that is done with lets go of its school: nothing of the framework's keeps the app's
context, store or database engine alive once the app is dropped. FastAPI keeps the endpoints it
has classified in caches of its own (thousands of them): an endpoint made inside ``create_app``
that closed over the context would keep each app's engine, with its compiled statements, for
the life of the process (the test suite's workers grew past a gigabyte that way)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from fastapi.testclient import TestClient

from bot.web.app import create_app
from tests.support.helpers import SchoolBuilder


def test_a_dropped_app_keeps_no_engine_alive(tmp_path: Path) -> None:
    ctx = SchoolBuilder(tmp_path).context()
    app = create_app(ctx.settings, context=ctx)
    with TestClient(app) as client:
        for path in ("/readyz?scope=pages", "/healthz", "/login", "/nowhere"):
            client.get(path)
    engine = weakref.ref(ctx.store.engine)
    ctx.store.dispose()
    del app, client, ctx
    gc.collect()
    assert engine() is None, [type(r).__qualname__ for r in gc.get_referrers(engine())]
