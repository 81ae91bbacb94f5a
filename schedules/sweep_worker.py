"""A sweep worker process (``compliance-bot run --sweep-worker``): claims the schools the
scheduler queued each tick and sweeps them (``bot.engine.sweep_worker``); run as many as a
county needs (deploy/README.md). PostgreSQL only: SQLite keeps the scheduler's single loop."""

from __future__ import annotations

import signal
import threading

from bot.core.config.store import load_org
from bot.core.deployment.context import AppContext
from bot.core.deployment.settings import Settings
from bot.engine.sweep_worker import work
from bot.wiring import install

__all__ = ["run_sweep_worker"]


def run_sweep_worker(
    settings: Settings, *, until_idle: bool = False, stop: threading.Event | None = None
) -> int:
    """Sweep queued schools until SIGTERM/SIGINT (or ``stop``), or until the queue is empty
    (``until_idle``); returns how many schools this process swept. A stop lets the school in
    hand finish."""
    install()  # the features' sweep steps
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda _signum, _frame: stop.set())
    ctx = AppContext(settings)
    try:
        return work(
            ctx.store,
            settings,
            lambda: load_org(settings, ctx.store),
            ctx.connectors,
            until_idle=until_idle,
            stop=stop,
        )
    finally:
        ctx.store.dispose()
