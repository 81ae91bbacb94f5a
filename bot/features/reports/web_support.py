"""What the report pages share: the school of a request, a bounded form parser (a body we
cannot read is a clear 4xx, never a 500) and the mirror refresh after a response."""

from __future__ import annotations

import logging

from fastapi import BackgroundTasks, HTTPException, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.core.config import ConfigError, SchoolConfig
from bot.core.context import AppContext
from bot.core.store import Store
from bot.engine.web.deps import check_csrf, ctx
from bot.engine.web.guards import BodyTooLargeError, check_form
from bot.features.reports.mirror import mirror_pending
from bot.features.reports.rules import MAX_FILES
from connectors.base import ConnectorError, ListMirror

__all__ = ["mirror_later", "read_fields", "read_form", "school_for"]

log = logging.getLogger(__name__)

MAX_TEXT_PART = 100 * 1024  # bytes per text box (20,000 characters of any script fit)


def school_for(request: Request, school_id: str) -> SchoolConfig | None:
    """The school's configuration, or None when there is no such school."""
    try:
        return ctx(request).config.school(school_id)
    except (KeyError, ConfigError):
        return None


async def read_form(request: Request) -> FormData:
    """Parse the body with tight limits; a body we cannot read is a clear 4xx, never a 500."""
    try:
        form = await request.form(
            max_files=MAX_FILES + 5, max_fields=80, max_part_size=MAX_TEXT_PART
        )
    except BodyTooLargeError:
        raise
    except UnicodeDecodeError:
        raise HTTPException(400, "What was sent could not be read as a form.") from None
    except StarletteHTTPException as exc:
        detail = str(exc.detail)
        if "maximum size" in detail:
            raise HTTPException(
                413,
                "One of the boxes has too much text (at most 20,000 characters). "
                "Please shorten it and try again.",
            ) from None
        if "Too many" in detail:
            raise HTTPException(
                400, f"Too much was sent at once: at most {MAX_FILES} files."
            ) from None
        raise HTTPException(400, "What was sent could not be read as a form.") from None
    check_form(form)
    return form


async def read_fields(request: Request) -> dict[str, str]:
    """A small form's text fields (files ignored), once its CSRF token checks out."""
    fields = {k: v for k, v in (await read_form(request)).multi_items() if isinstance(v, str)}
    check_csrf(request, fields.get("csrf_token"))
    return fields


def mirror_later(context: AppContext, school: SchoolConfig, background: BackgroundTasks) -> None:
    """Refresh the platform list after the response (best effort; the sweep catches up)."""
    if context.connectors.mirror is not None:
        background.add_task(_mirror_now, context.store, context.connectors.mirror, school)


def _mirror_now(store: Store, mirror: ListMirror, school: SchoolConfig) -> None:
    try:
        with store.transaction() as session:
            try:
                mirror_pending(session, mirror, school)
            except ConnectorError as exc:  # keep what the platform confirmed before it failed
                log.warning("report mirror for %s not updated: %s", school.id, exc)
    except Exception:  # the mirror is a convenience: never let it break a page
        log.exception("report mirror for %s failed", school.id)
