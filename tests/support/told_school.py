"""The school whose every word is read: one builder for the tests that read everything a school
is told in its weeks of mail (``tests/web/test_nation_words.py``: a school in each nation;
``tests/core/test_welsh_reader.py``: a Welsh-medium school).

The school holds every role (``tests/features/reports/test_support.configure``), a clerk, one
child protection policy its governors review, an acknowledgement of it, a recurring task for
one member of staff and a training course: one of each kind of mail the sweeps write. What the
two tests vary (the people, the nation and language, the names the school gives the policy,
task and course, how soon each is due) are the arguments::

    env = told_school(home, people=PEOPLE, country="scotland")
    sweep_on(env, days)  # each day's sweep at 08:15, as the scheduler runs it
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import time_machine

from bot.engine.sweep import run_sweep
from tests.features.reports.test_support import Env, configure, sync_people
from tests.support.helpers import Row, SchoolBuilder, at

__all__ = ["Named", "sweep_on", "told_school"]


@dataclass(frozen=True)
class Named:
    """What the school calls its policy, task and course, and how many days each is due in."""

    policy: str = "Child Protection Policy"
    policy_text: str | None = None  # the policy's own document (None: the builder's)
    task: str = "Check the single central record"
    every: str = "monthly"
    course: str = "Safeguarding and child protection"
    ack_days: int = 5
    task_days: int = 5
    course_days: int = 10


def told_school(
    home: Path,
    *,
    people: list[Row],
    country: str,
    named: Named = Named(),  # frozen: a shared default never changes
    school: dict[str, Any] | None = None,
    synced_on: date = date(2026, 10, 19),
) -> Env:
    """The school in ``home`` (``country``; ``school``: more of its settings, such as its name,
    language or words), its people synced on ``synced_on``, and its web app."""
    from bot.web.app import create_app

    builder = configure(SchoolBuilder(home))
    builder.people = list(people)
    builder.school.update(country=country, clerk="gov@oak.example", **(school or {}))
    builder.policy(
        "child-protection",
        "2026.1",
        named.policy_text,
        title=named.policy,
        reviewers=["gov@oak.example"],
        next_review="2026-11-20",
    )
    builder.requirement(
        id="ack-cp",
        kind="acknowledge_policy",
        policy="child-protection",
        audience={"roles": ["staff"]},
        due_days=named.ack_days,
    )
    builder.requirement(
        id="check",
        kind="recurring_task",
        title=named.task,
        every=named.every,
        due_days=named.task_days,
        owners=["amy@oak.example"],
    )
    builder.requirement(
        id="cp-training",
        kind="complete_training",
        course=named.course,
        audience={"roles": ["staff"]},
        valid_months=12,
        due_days=named.course_days,
    )
    context = builder.context(None, demo=True, base_url="http://testserver")
    sync_people(context, synced_on)
    return Env(context=context, app=create_app(context.settings, context), builder=builder)


def sweep_on(env: Env, days: Iterable[date]) -> None:
    """The sweep of each of ``days`` at 08:15 London time (its mail delivered)."""
    ctx = env.context
    for day in days:
        with time_machine.travel(at(day, 8, 15), tick=False):
            run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors)
