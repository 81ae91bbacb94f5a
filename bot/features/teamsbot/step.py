"""The sweep's Teams step: the bot reaches each Teams-first school's people with open asks."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.teamsbot.deliver import send_needs

__all__ = ["teams_needs_step"]


def teams_needs_step(run: StepContext) -> dict[str, int]:
    """Reach the people with open asks in Teams (nothing without a bot or Teams-first): their
    reminders then come as cards (``TeamsDigests``, handed to the reminder run)."""
    bot = run.connectors.chat
    if bot is None or not run.school.teams_first or not run.write:
        return {}
    sent = send_needs(run.session, run.settings, run.school, bot, run.now)
    return {"teams installs": sent.installed}
