"""A missed recurring check is never silent (bot.features.tasks.missed): when its period ends
undone, its owner and the DSL team get one email, on the first school day after the period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.core.models import Duty
from tests.features.decisions.test_support import TERMS, make_env
from tests.features.tasks.test_tasks import FILTERING, _states, _sweep_days
from tests.support.helpers import SchoolBuilder


def test_a_missed_termly_check_alerts_its_owner_and_the_dsl_team_once(
    school: SchoolBuilder, sqlite_url: str
) -> None:
    env = make_env(
        school,
        sqlite_url,
        today=date(2027, 3, 22),
        terms=TERMS,
        inset_days=["2027-04-12"],  # the summer term opens with an INSET day
        requirements=[
            {
                "id": "filtering",
                "kind": "recurring_task",
                "title": FILTERING,
                "every": "termly",
                "due_days": 21,
                "owners": ["amy@oak.example"],
            }
        ],
    )
    # spring's check is never done; the summer term starts on Monday 12 April, an INSET day
    _sweep_days(env, date(2027, 3, 22), date(2027, 4, 14))
    assert ("amy", "Spring 2027", "missed") in _states(env)
    with env.context.store.session() as session:
        missed_on = session.scalar(
            select(Duty.closed_on).where(Duty.status == "missed", Duty.cycle == "Spring 2027")
        )
    assert missed_on == date(2027, 4, 12)  # closed when the summer term began
    rows = env.outbox("task_missed")
    assert len(rows) == 1  # daily sweeps after it add nothing
    row = rows[0]
    assert row.status == "sent"
    assert row.next_attempt_at.date() == date(2027, 4, 13)  # told on the first school day
    assert row.recipients == ["amy@oak.example", "dsl@oak.example", "deputy@oak.example"]
    assert row.subject == f"Missed: {FILTERING} (the Spring 2027 term)"
    text = row.payload["text"]
    assert "Nobody marked" in text and "Amy Able" in text
    assert "recorded as missed" in text
    assert "The next one is due" in text
    env.context.store.dispose()
