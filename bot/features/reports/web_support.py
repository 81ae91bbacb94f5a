"""What the report pages share beyond every form's helpers (``bot.engine.web.forms``): the
mirror refresh after a response."""

from __future__ import annotations

import logging

from fastapi import BackgroundTasks

from bot.core.config import SchoolConfig
from bot.core.context import AppContext
from bot.core.ports import ConnectorError, ListMirror
from bot.core.store import Store
from bot.engine.web.threads import waiting
from bot.features.reports.mirror import mirror_pending

__all__ = ["mirror_later"]

log = logging.getLogger(__name__)


def mirror_later(context: AppContext, school: SchoolConfig, background: BackgroundTasks) -> None:
    """Refresh the platform list after the response (best effort; the sweep catches up)."""
    if context.connectors.mirror is not None:
        background.add_task(waiting, _mirror_now, context.store, context.connectors.mirror, school)


def _mirror_now(store: Store, mirror: ListMirror, school: SchoolConfig) -> None:
    try:
        with store.transaction() as session:
            try:
                mirror_pending(session, mirror, school)
            except ConnectorError as exc:  # keep what the platform confirmed before it failed
                log.warning("report mirror for %s not updated: %s", school.id, exc)
    except Exception:  # the mirror is a convenience: never let it break a page
        log.exception("report mirror for %s failed", school.id)
