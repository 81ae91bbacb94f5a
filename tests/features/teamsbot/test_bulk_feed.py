"""The same activity-feed nudge to many people goes in Graph's bulk call
(``sendActivityNotificationToRecipients``, up to 100 recipients, checked against msgraph-sdk's
request body and Microsoft's metadata): 250 people are told in three calls, each person once;
a 429 on the bulk call is waited out with nothing lost or sent twice; different nudges are
never merged."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.core.models import OutboxMessage
from bot.core.outbox import Urgency, enqueue_chat_card
from tests.features.teamsbot.support import MONDAY
from tests.features.teamsbot.test_delivery import Teams, teams_fixture

__all__ = ["teams_fixture"]


def _queue(
    teams: Teams, people: int, preview: str = "What Oak needs from you", start: int = 0
) -> list[str]:
    users = [f"0c2b9a1e-0000-4000-8000-{n:012d}" for n in range(start, start + people)]
    with teams.ctx.store.transaction() as session:
        for user in users:
            teams.graph.installed[user] = f"inst-{user[-6:]}"
            assert enqueue_chat_card(
                session,
                school_id="oak",
                key=f"nudge:{preview}:{user}",
                purpose="reminder",
                urgency=Urgency.ROUTINE,
                recipient=f"{user[-6:]}@oak.example",
                title=preview,
                text="",
                chat_id=f"19:{user}@unq.gbl.spaces",
                service_url="unused",
                card={},
                feed={
                    "user_id": user,
                    "activity_type": "needsReminder",
                    "preview": preview,
                    "web_url": "https://oak.example/me",
                    "template": {"school": "Oak"},
                },
                not_before=teams.now,
                quiet=True,
            )
    return users


def _statuses(teams: Teams) -> Counter[str]:
    with teams.ctx.store.session() as session:
        return Counter(
            session.scalars(select(OutboxMessage.status).where(OutboxMessage.channel == "teams"))
        )


def test_many_people_one_nudge_go_in_bulk_calls_of_a_hundred(teams: Teams) -> None:
    users = _queue(teams, 250)
    teams.dispatch(teams.now)
    assert teams.graph.bulk_calls == [100, 100, 50]
    told = Counter(f["user"] for f in teams.graph.feed)
    assert set(told) == set(users) and set(told.values()) == {1}
    assert _statuses(teams) == Counter({"sent": 250})
    assert teams.graph.rejected == []
    teams.dispatch(teams.now + timedelta(minutes=1))  # nothing twice
    assert len(teams.graph.feed) == 250


def test_different_nudges_are_never_merged(teams: Teams) -> None:
    _queue(teams, 3, "What Oak needs from you")
    _queue(teams, 3, "New report CR-2026-7KQ3M", start=3)
    teams.dispatch(teams.now)
    assert sorted(teams.graph.bulk_calls) == [3, 3]
    for f in teams.graph.feed:
        expected = "What Oak" if int(f["user"][-3:]) < 3 else "New report"
        assert f["previewText"]["content"].startswith(expected)


def test_a_429_on_the_bulk_call_is_waited_out(teams: Teams) -> None:
    users = _queue(teams, 120)
    teams.graph.fail(
        "POST",
        r"/teamwork/sendActivityNotificationToRecipients",
        status=429,
        headers={"Retry-After": "4"},
    )
    stats = teams.dispatch(teams.now)
    assert stats.paused["teams"] == teams.now + timedelta(seconds=4)
    assert not teams.graph.feed and _statuses(teams) == Counter({"pending": 120})
    teams.dispatch(teams.now + timedelta(seconds=5))
    assert sorted(f["user"] for f in teams.graph.feed) == sorted(users)
    assert _statuses(teams) == Counter({"sent": 120})


def test_bulk_nudges_across_a_whole_token_lifetime_lose_nothing(
    teams: Teams, frozen_clock: Any
) -> None:
    """Every ten minutes for 80 minutes a new nudge goes to 150 people. A token lives an hour
    and Graph refuses the bulk call one with less than 45 minutes left (412): the bot gets a
    fresh one when it needs to, so every nudge reaches everyone once and nothing is left
    unknown or refused."""
    for step in range(9):
        frozen_clock.at(MONDAY, 10 + step // 6, step % 6 * 10)
        _queue(teams, 150, preview=f"Nudge {step}")
        teams.dispatch(teams.now + timedelta(minutes=10 * step))
        assert _statuses(teams) == Counter({"sent": 150 * (step + 1)}), step
    told = Counter((f["user"], f["previewText"]["content"]) for f in teams.graph.feed)
    assert len(told) == 150 * 9 and set(told.values()) == {1}
    assert teams.graph.bulk_refused == 0 and teams.graph.rejected == []
    assert len(teams.graph.token_requests()) > 1  # a new token when the old had < 45 minutes
