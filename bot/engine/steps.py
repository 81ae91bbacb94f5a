"""The feature steps the sweep runs after duties and reminders, in order.

Each step is ``step(run: StepContext) -> dict[str, int]`` (counts for the summary). The list is
plain imports, so renaming a feature's step is an import error, not a silently skipped step.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.context import StepContext
from bot.engine.chasing import chasing_stopped_step
from bot.features.accounts.step import handovers_step
from bot.features.dashboard.digest import digest_step
from bot.features.decisions.step import decision_reminders_step
from bot.features.policies.step import governor_alerts
from bot.features.reports.step import report_sweep
from bot.features.tasks.step import tasks_step
from bot.features.teamsbot.deliver import TeamsDigests
from bot.features.teamsbot.step import head_dashboard_step, teams_needs_step
from bot.features.visitors.step import visitors_step

__all__ = ["CHAT_ROUTE", "RUN_IN_PREVIEW", "STEPS", "Step"]

Step = Callable[[StepContext], dict[str, int]]

STEPS: tuple[Step, ...] = (
    chasing_stopped_step,  # right after the reminders: capped duties reach the line manager
    governor_alerts,
    report_sweep,
    digest_step,
    head_dashboard_step,  # with the digest: the head's card in their chat, when the bot has one
    decision_reminders_step,  # the order of the last three is the old single "extras" step's
    tasks_step,
    visitors_step,
    handovers_step,
    teams_needs_step,  # last: the day's asks as they stand after every other step
)

# Steps that run in full while a newly set-up school is in preview (the others plan only):
# a concern's deadlines must reach the DSL whatever stage the setup is at.
RUN_IN_PREVIEW: frozenset[Step] = frozenset({report_sweep})

# A Teams-first school with a bot: the reminder run sends the digests of the people the bot
# reaches as cards, through this route (``bot.engine.remind.ChatRoute``), instead of email.
CHAT_ROUTE = TeamsDigests
