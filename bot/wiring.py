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
from bot.features.complaints.step import complaints_step
from bot.features.dashboard.digest import digest_step
from bot.features.decisions.step import decision_reminders_step
from bot.features.policies.step import governor_alerts
from bot.features.reports.step import report_sweep
from bot.features.tasks.step import tasks_step
from bot.features.teamsbot.deliver import TeamsDigests
from bot.features.teamsbot.step import head_dashboard_step, teams_needs_step
from bot.features.visitors.service import purge_visitors
from bot.features.visitors.step import visitors_step

__all__ = ["FEATURE_STEPS", "FIRST", "STEPS", "TITLES", "install"]

# the report deadlines run first for every school, before anything else can fail (#40)
FIRST: tuple[Step, ...] = (report_sweep,)
STEPS: tuple[Step, ...] = (
    chasing_stopped_step,  # right after the reminders: capped duties reach the line manager
    governor_alerts,
    digest_step,
    head_dashboard_step,  # with the digest: the head's card in their chat, when the bot has one
    complaints_step,
    decision_reminders_step,  # the order of the last three is the old single "extras" step's
    tasks_step,
    visitors_step,
    handovers_step,
    teams_needs_step,  # last: the day's asks as they stand after every other step
)

# each step in the words the head and the admin read when it fails (status, dashboard, /setup)
TITLES = {
    report_sweep.__name__: "warning about the deadlines of concerns and breaches",
    chasing_stopped_step.__name__: "telling line managers about reminders that have stopped",
    governor_alerts.__name__: "sending the governors' policy review alerts",
    digest_step.__name__: "sending the weekly digest",
    head_dashboard_step.__name__: "sending the headteacher's dashboard card",
    complaints_step.__name__: "warning about data protection complaints falling due",
    decision_reminders_step.__name__: "reminding about decisions due for review",
    tasks_step.__name__: "setting recurring tasks",
    visitors_step.__name__: "tidying the visitors' confirmations",
    handovers_step.__name__: "chasing official account handovers",
    teams_needs_step.__name__: "sending the day's asks in Teams",
}

FEATURE_STEPS = FeatureSteps(
    sweep=STEPS,
    first=FIRST,
    titles=TITLES,
    # a concern's deadlines must reach the DSL whatever stage the setup is at
    run_in_preview=frozenset({report_sweep}),
    purge_visitors=lambda session, school, today: purge_visitors(session, school, today,
                                                                 write=True),
    chat_route=TeamsDigests,
)


def install() -> None:
    """Register the features' steps with the engine (safe to repeat)."""
    register(FEATURE_STEPS)
