"""The web app for process managers: ``uvicorn --factory bot.web.asgi:app`` (any number of
worker processes; none of them runs jobs — the scheduler is its own process)."""

from __future__ import annotations

from fastapi import FastAPI

from bot.core.deployment.settings import load_settings
from bot.core.files.contained import warm_up
from bot.web.app import create_app

__all__ = ["app"]


def app() -> FastAPI:
    """Build the app from the environment (COMPLIANCE_BOT_*), as the CLI would."""
    web = create_app(load_settings(), web_only=True)
    warm_up()  # the uploads' checking process starts now, not on the first upload
    return web
