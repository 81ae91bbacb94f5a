"""What the report pages share beyond every form's helpers (``bot.engine.web.forms``): the
signed-in person's school, and the mirror refresh after a response."""

from __future__ import annotations

import logging

from fastapi import BackgroundTasks, HTTPException, Request

from bot.core.config import SchoolConfig
from bot.core.database.store import Store
from bot.core.deployment.context import AppContext
from bot.core.language.i18n import N_
from bot.core.models import Person
from bot.core.ports import ConnectorError, ListMirror
from bot.engine.web.forms import school_for
from bot.engine.web.threads import waiting
from bot.features.reports.mirror import mirror_pending

__all__ = ["mirror_later", "own_school"]

log = logging.getLogger(__name__)


def own_school(request: Request, person: Person) -> SchoolConfig:
    """The signed-in person's school; 404 when it is not set up here."""
    school = school_for(request, person.school_id)
    if school is None:
        raise HTTPException(404, N_("Your school is not set up for reports."))
    return school


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
