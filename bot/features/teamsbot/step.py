"""The sweep's Teams step: the bot reaches each Teams-first school's people with open asks."""

from __future__ import annotations

from bot.core.days.clock import send_after
from bot.core.deployment.context import StepContext
from bot.features.dashboard.api import digest_due
from bot.features.teamsbot.dashboard import queue_head_card
from bot.features.teamsbot.deliver import send_needs

__all__ = ["head_dashboard_step", "teams_needs_step"]


def head_dashboard_step(run: StepContext) -> dict[str, int]:
    """The week's dashboard card in the headteacher's chat, when the bot reaches them (the
    weekly digest's moment; the card then refreshes itself whenever they open it)."""
    if (
        run.connectors.chat is None
        or not run.write
        or not digest_due(run.school, run.today, run.now)
    ):
        return {}
    queued = queue_head_card(
        run.session,
        run.settings,
        run.config,
        run.school,
        run.today,
        run.now,
        not_before=send_after(run.school, run.today, run.now),
    )
    return {"dashboard card": 1} if queued else {}


def teams_needs_step(run: StepContext) -> dict[str, int]:
    """Reach the people with open asks in the school's chat, Teams or Google Chat (nothing
    without a bot of the platform the school asks in): their reminders then come as cards
    (the platform's route, handed to the reminder run)."""
    bot = run.connectors.chat
    if bot is None or run.school.asks_in != bot.platform or not run.write:
        return {}
    sent = send_needs(run.session, run.settings, run.school, bot, run.now)
    return {"teams installs" if bot.platform == "teams" else "chat spaces": sent.installed}
