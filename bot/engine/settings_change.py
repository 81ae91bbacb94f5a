"""A change of the school's settings, in force at once: saved as a version, synced, duties opened.

The web settings pages, ``compliance-bot config import``/``config source web`` and the demo all
go through ``apply_settings``, so "applied at once" means the same everywhere: the new version is
saved and audited, the store follows it (policies, requirements, accounts, roles) and duties open
or close as the next sweep would have done. No message is queued here: reminders go with the
sweep, and not at all in preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bot.core.config import OrgConfig
from bot.core.config import store as config_store
from bot.core.config.said import NOT_REWRITTEN
from bot.engine.config_sync import (
    DOCUMENT_GONE,
    HOLDER_LEFT,
    NOT_IN_DIRECTORY,
    OLDER_DOCUMENT,
    UNVERSIONED_DOCUMENT,
    sync_config,
)
from bot.engine.refused_documents import NOT_USED
from bot.engine.sweep import plan_and_apply

__all__ = ["WARNINGS", "Applied", "apply_settings"]

# every warning applying settings can give, most words of its own first (``say_sentence`` reads a
# line back against them: the YAML path, the address, the file as written)
WARNINGS = (
    OLDER_DOCUMENT,
    DOCUMENT_GONE,
    HOLDER_LEFT,
    UNVERSIONED_DOCUMENT,
    NOT_REWRITTEN,
    NOT_USED,
    NOT_IN_DIRECTORY,
)


@dataclass(frozen=True)
class Applied:
    """What applying settings did: warnings (e.g. a named person not in the directory)."""

    warnings: list[str]


def apply_settings(
    session: Session,
    org: OrgConfig,
    *,
    by: str,
    now: datetime,
    today: date,
    note: str,
    export_to: Path | None = None,
) -> Applied:
    """Save ``org`` as the settings in force and bring the store in line now, every school;
    with ``export_to``, school.yaml is rewritten as the export of what was saved."""
    config_store.save(session, org, by=by, now=now, note=note)
    warnings: list[str] = []
    for school in org.schools:
        warnings += sync_config(session, org, school, today)
        plan_and_apply(session, school, today)
    if export_to is not None:
        problem = config_store.export(org, export_to, now)
        warnings += [problem] if problem else []
    return Applied(warnings)
