"""The sweep's Teams step: each Teams-first school's people with open asks get today's card."""

from __future__ import annotations

from bot.core.context import StepContext
from bot.features.teamsbot.deliver import send_needs

__all__ = ["teams_needs_step"]


def teams_needs_step(run: StepContext) -> dict[str, int]:
    """Queue the "what the school needs from you" cards (nothing without a bot or Teams-first)."""
    bot = run.connectors.chat
    if bot is None or not run.school.teams_first or not run.write:
        return {}
    sent = send_needs(run.session, run.settings, run.school, bot, run.now)
    return {"teams cards": sent.cards, "teams installs": sent.installed}
