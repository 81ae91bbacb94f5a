"""Teams-first reminders: a person with the app gets each reminder as their card and a feed
nudge, never the email beside it; a person without the app gets the email; a card Teams
refuses for good (the app uninstalled, the chat gone) falls back to its email exactly once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.models import OutboxMessage, TeamsChat
from bot.engine.sweep import run_sweep
from tests.features.teamsbot.support import AMY_ID, MONDAY
from tests.features.teamsbot.test_delivery import Teams, teams_fixture
from tests.support.helpers import at, payload_of

__all__ = ["teams_fixture"]

AMY, BEN = "amy@oak.example", "ben@oak.example"


def _sweep(teams: Teams, day: date) -> None:
    connectors = replace(teams.ctx.connectors, chat=teams.bot)
    run_sweep(
        teams.ctx.store,
        teams.ctx.settings,
        teams.ctx.config,
        connectors,
        as_of=day,
        now=at(day, 10),
        deliver=False,
    )


def _reminders(teams: Teams, email: str) -> list[OutboxMessage]:
    with teams.ctx.store.session() as session:
        rows = [
            r
            for r in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.purpose == "reminder")
                .order_by(OutboxMessage.id)
            )
            if email in r.recipients
        ]
        session.expunge_all()
        return rows


def _first_card_day(teams: Teams) -> date:
    """Sweep day by day after Monday until Amy's next reminder is due (a card)."""
    for offset in range(1, 60):
        day = MONDAY + timedelta(days=offset)
        _sweep(teams, day)
        if any(r.channel == "teams" for r in _reminders(teams, AMY)):
            return day
    raise AssertionError("no reminder came due in 60 days")


@pytest.fixture(name="installed")
def installed_fixture(teams: Teams) -> Teams:
    """The bot has installed itself for Amy (Monday's step); Ben has no Entra account."""
    sent = teams.queue()
    assert (sent.installed, sent.unreachable) == (1, 3)
    return teams


def test_the_app_holder_gets_the_card_and_nudge_never_the_email_beside_it_but_a_copied_one(
    installed: Teams,
) -> None:
    """Two weeks of reminder days: Amy (with the app) has cards and nudges, Ben emails; then,
    on to 60 days, escalation tells the line manager: that digest is the email (one message,
    saying so; the manager hears in their own daily message, never as a copy). One school
    walked once for both (they were two tests walking the same first weeks)."""
    teams = installed
    monday_mail = _reminders(teams, AMY)
    assert [r.channel for r in monday_mail] == ["email"]  # Monday: before the bot reached her
    day = _first_card_day(teams)
    for later in range(1, 15):  # two more weeks of reminder days
        _sweep(teams, day + timedelta(days=later))
    amy = _reminders(teams, AMY)[1:]
    assert amy and {r.channel for r in amy} == {"teams"}  # no email after she had the app
    days = [r.idempotency_key for r in amy if not r.idempotency_key.endswith(":feed")]
    assert all(r.idempotency_key in {*days, *(d + ":feed" for d in days)} for r in amy)
    assert len(days) == len(set(days))  # one card a reminder day, never two
    # Ben, without the app, has his reminders by email on the same days
    ben = _reminders(teams, BEN)
    assert len(ben) > 1 and {r.channel for r in ben} == {"email"}
    # delivered: each card once, each nudge once, no email to Amy beyond Monday's
    teams.dispatch(at(day + timedelta(days=15), 12))
    assert len(teams.graph.chat_cards) == len(days)
    assert {c["user"] for c in teams.graph.chat_cards} == {AMY_ID}
    nudges = [f for f in teams.graph.feed if f["activityType"] == "needsReminder"]
    assert len(nudges) == len(days) and {f["user"] for f in nudges} == {AMY_ID}
    assert all(
        f["previewText"]["content"].startswith("What ")
        and f["previewText"]["content"].endswith(" needs from you")
        for f in nudges
    )
    sent_to_amy = [r for r in _reminders(teams, AMY) if r.channel == "email"]
    assert len(sent_to_amy) == 1
    assert all(r.status == "sent" for r in _reminders(teams, AMY))
    assert teams.graph.rejected == []
    # a second dispatch sends nothing more
    before = (len(teams.graph.chat_cards), len(teams.graph.feed))
    teams.dispatch(at(day + timedelta(days=15), 13))
    assert (len(teams.graph.chat_cards), len(teams.graph.feed)) == before

    # on to 60 days: the escalation's digest goes to Amy by email, the app notwithstanding
    for later in range(15, 60):
        _sweep(teams, day + timedelta(days=later))
    amy = _reminders(teams, AMY)
    with teams.ctx.store.session() as session:
        told = [
            r
            for r in amy
            if "line manager has been told" in " ".join(payload_of(session, r)["text"].split())
        ]
    assert told, "the cadence tells the line manager within 60 days"
    assert {r.channel for r in told} == {"email"} and not any(r.cc for r in amy)
    keys: dict[str, Any] = {}
    for r in amy:
        base = r.idempotency_key.removesuffix(":feed")
        keys.setdefault(base, set()).add(r.channel)
    assert all(channels in ({"email"}, {"teams"}) for channels in keys.values())


def test_a_card_teams_refuses_falls_back_to_its_email_exactly_once(installed: Teams) -> None:
    teams = installed
    day = _first_card_day(teams)
    # Amy removes the app before the card goes: the chat is gone, the feed refuses her
    teams.graph.installed.pop(AMY_ID)
    for chat in [c for c, user in teams.graph.chats.items() if user == AMY_ID]:
        del teams.graph.chats[chat]
    stats = teams.dispatch(at(day, 12))
    assert stats.failed == 0 and stats.fell_back == 2  # card and nudge: no admin alert
    assert not teams.graph.chat_cards
    amy = _reminders(teams, AMY)
    card, feed = (r for r in amy if r.channel == "teams")
    assert card.status == feed.status == "fell_back"
    [email] = [r for r in amy if r.idempotency_key == card.idempotency_key + ":email"]
    assert email.channel == "email" and email.recipients == [AMY]
    assert email.subject and "needs from you" not in email.subject  # the digest's own email
    teams.dispatch(at(day, 12, 5))
    teams.dispatch(at(day, 12, 10))
    again = [r for r in _reminders(teams, AMY) if r.idempotency_key.endswith(":email")]
    assert [r.status for r in again] == ["sent"]  # exactly once
    with teams.ctx.store.session() as session:  # the chat is forgotten: email until reached
        assert session.scalars(select(TeamsChat)).all() == []
    # the same day's sweep again queues nothing new; the next reminder is an email
    _sweep(teams, day)
    assert len(_reminders(teams, AMY)) == len(amy)
