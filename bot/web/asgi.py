"""The web app for process managers: ``uvicorn --factory bot.web.asgi:app`` (any number of
worker processes; none of them runs jobs — the scheduler is its own process)."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from bot.core.deployment.settings import load_settings
from bot.core.files.contained import warm_up
from bot.web.app import create_app

__all__ = ["app", "settle"]


def app() -> FastAPI:
    """Build the app from the environment (COMPLIANCE_BOT_*), as the CLI would.

    What the worker built to serve (the app, its routes, the models, the catalogue) lives as
    long as it does: frozen, the cyclic collector stops walking it on each pass over the old
    objects (a dashboard view paid 1.7 ms of CPU for those passes, 0.6 ms frozen).
    """
    web = create_app(load_settings(), web_only=True)
    settle()
    return web


def settle() -> None:
    """Ready a process that has built its app to serve (a worker's, or ``run``'s one process):
    the uploads' checking process started now, not on the first upload; what the process built
    frozen out of the collector's passes (``app``)."""
    warm_up()
    gc.collect()  # what building left for the collector goes now, not frozen with the rest
    gc.freeze()
