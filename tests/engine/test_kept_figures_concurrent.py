"""Two concerns filed at once are both in the kept figures (both databases): the second writer's
refresh waits for the first's row lock and then counts the first's report, instead of writing
figures from before it over them."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.database.figures import PARTS, facts, kept, rebuild
from bot.features.reports.intake import submit_report
from bot.features.reports.submission import Submission
from tests.features.dashboard.test_support import NOW, Env

pytest_plugins = ("tests.features.dashboard.test_support",)  # the env fixtures


def _file(env: Env, session: Session, now: datetime) -> None:
    submit_report(
        session,
        env.context.config.schools[0],
        Submission(
            category="cyberbullying",
            involved=(("pupil", ""),),
            what_happened="Messages sent to a pupil.",
            occurred="today",
            location=None,
            actions_taken=None,
        ),
        now=now,
        base_url="https://bot.oak.example",
        actor="amy@oak.example",
    )


def test_two_concerns_filed_at_once_are_both_kept(any_env: Env) -> None:
    env, store = any_env, any_env.context.store
    with store.session() as session:
        before = len(kept(session, "oak")["reports"]["open"])
    second = threading.Thread(target=lambda: _second(env))
    with store.transaction() as first:
        _file(env, first, NOW)
        rebuild(first, "oak", ["reports"])  # holds the part's row, as its commit would
        second.start()
        time.sleep(0.5)  # lets the second reach its commit (either order must end right)
    second.join()
    with store.session() as session:
        now_kept = kept(session, "oak")
        assert len(now_kept["reports"]["open"]) == before + 2
        assert now_kept == {part: facts(session, "oak", part) for part in PARTS}


def _second(env: Env) -> None:
    with env.context.store.transaction() as session:
        _file(env, session, NOW)
