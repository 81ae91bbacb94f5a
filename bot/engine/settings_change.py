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
from bot.core.guards.forms import Text
from bot.engine.config_sync import sync_config
from bot.engine.plan_apply import plan_and_apply

__all__ = ["Applied", "apply_settings"]


@dataclass(frozen=True)
class Applied:
    """What applying settings did: warnings (e.g. a named person not in the directory)."""

    warnings: list[Text]  # said where shown


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
    warnings: list[Text] = []
    for school in org.schools:
        warnings += sync_config(session, org, school, today)
        plan_and_apply(session, school, today)
    if export_to is not None:
        problem = config_store.export(org, export_to, now)
        warnings += [problem] if problem else []
    return Applied(warnings)
