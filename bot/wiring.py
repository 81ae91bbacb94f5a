"""What the app hands the engine at start-up: the features' sweep steps and retention rules.

The engine sits below the features and never imports them; the app's entry points (the CLI's
main, the web app factory, the scheduler's jobs) call ``install`` so the sweep and maintenance
run the features' steps. The list is plain imports, so renaming a feature's step is an import
error here, not a silently skipped step.
"""

from __future__ import annotations

from bot.engine.chasing import chasing_stopped_step
from bot.engine.steps import FeatureSteps, Step, register
from bot.features.accounts.step import handovers_step
from bot.features.dashboard.digest import digest_step
from bot.features.decisions.step import decision_reminders_step
from bot.features.policies.step import governor_alerts
from bot.features.reports.step import report_sweep
from bot.features.tasks.step import tasks_step
from bot.features.teamsbot.deliver import TeamsDigests
from bot.features.teamsbot.step import head_dashboard_step, teams_needs_step
from bot.features.visitors.service import purge_visitors
from bot.features.visitors.step import visitors_step

__all__ = ["FEATURE_STEPS", "STEPS", "install"]

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

FEATURE_STEPS = FeatureSteps(
    sweep=STEPS,
    # a concern's deadlines must reach the DSL whatever stage the setup is at
    run_in_preview=frozenset({report_sweep}),
    purge_visitors=lambda session, school, today: purge_visitors(session, school, today,
                                                                 write=True),
    chat_route=TeamsDigests,
)


def install() -> None:
    """Register the features' steps with the engine (safe to repeat)."""
    register(FEATURE_STEPS)
