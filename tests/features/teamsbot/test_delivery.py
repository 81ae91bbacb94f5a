"""Teams as a delivery channel: in a Teams-first school the bot installs itself for a new
starter through Graph (the fake's teamwork endpoints, checked against msgraph-sdk's builders
and models), finds their chat and sends the card through the outbox to the Bot Connector (each
card checked against the Adaptive Card 1.5 schema); a 429 is waited out with nothing lost or
sent twice; a person the bot cannot reach keeps getting email; pressing the card's button then
records one acknowledgement."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.deployment.platform_settings import M365Settings
from bot.core.models import OutboxMessage, Person, TeamsChat
from bot.core.outbox import dispatch
from bot.engine.remind import PendingDigests, ReminderRun
from bot.engine.reminder_reads import open_duties
from bot.engine.reminders import Digest, digest_key
from bot.features.teamsbot.cards import ACK_VERB
from bot.features.teamsbot.deliver import TeamsDigests, send_needs
from connectors.m365.teams_bot import TeamsBot
from tests.features.dashboard.test_cards import card_errors
from tests.features.teamsbot.support import AMY_ID, BEN_ID, MONDAY, BotEnv, bot_school
from tests.support.fakes.botframework import FakeBotFramework
from tests.support.fakes.graph import (
    CATALOG_APP_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTOR_URL,
    TENANT_ID,
    FakeGraph,
)
from tests.support.helpers import SchoolBuilder, at


class Teams:
    """The school, the fake Graph + Connector, and the bot talking to them."""

    def __init__(self, school: SchoolBuilder, sqlite_url: str, bf: FakeBotFramework) -> None:
        school.school["teams_first"] = True
        self.ctx = bot_school(school, sqlite_url, bf, bot_service_url=CONNECTOR_URL)
        self.graph = FakeGraph()
        self.graph.card_errors = card_errors
        self.graph.add_user(AMY_ID, "Amy Able", "amy@oak.example")  # Ben: not in Entra
        self.bot = TeamsBot.from_settings(
            M365Settings(
                tenant_id=TENANT_ID,
                client_id=CLIENT_ID,
                client_secret=SecretStr(CLIENT_SECRET),
                bot_app_id=CLIENT_ID,
                teams_catalog_app_id=CATALOG_APP_ID,
            ),
            transport=self.graph.transport,
            clock=self.graph.clock,
            sleep=self.graph.clock.sleep,
        )
        self.now = at(MONDAY, 10)

    def queue(self) -> Any:
        """The Teams step: the bot reaches the people with open asks (installs itself)."""
        with self.ctx.store.transaction() as session:
            return send_needs(
                session, self.ctx.settings, self.ctx.config.school("oak"), self.bot, self.now
            )

    def card(self) -> None:
        """The step, then Amy's reminder digest as her card (the reminder run's route)."""
        self.queue()
        with self.ctx.store.transaction() as session:
            school = self.ctx.config.school("oak")
            run = ReminderRun.start(
                session,
                self.ctx.settings,
                school,
                MONDAY,
                self.now,
                write=True,
                chat=TeamsDigests(self.ctx.settings),
            )
            digests = []
            for person_id in sorted(run.by_chat):  # a later reminder day's digest, as planned
                items = tuple(open_duties(session, "oak", [person_id]))
                digest = Digest(run.people[person_id], items, (), (), ())
                digests.append((f"{digest_key('oak', person_id, MONDAY)}:later", digest))
            PendingDigests(run, digests, {k for k, _ in digests}).add(session)

    def dispatch(self, now: datetime) -> Any:
        return dispatch(
            self.ctx.store, self.ctx.connectors.mailer, None, chat=self.bot, now=lambda: now
        )

    def rows(self, channel: str) -> list[OutboxMessage]:
        with self.ctx.store.session() as session:
            rows = list(
                session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel))
            )
            session.expunge_all()
            return rows


@pytest.fixture(name="teams")
def teams_fixture(school: SchoolBuilder, sqlite_url: str, bf: FakeBotFramework) -> Teams:
    """A Teams-first school whose bot talks to the fake Graph and Connector."""
    return Teams(school, sqlite_url, bf)


def test_the_bot_installs_itself_and_the_card_reaches_the_chat(teams: Teams) -> None:
    sent = teams.queue()
    assert (sent.installed, sent.unreachable) == (1, 3)  # Ben, Hana, Lena: not in this tenant
    assert teams.rows("teams") == []  # reaching her sends nothing: her reminders will
    assert AMY_ID in teams.graph.installed
    with teams.ctx.store.session() as session:
        [chat] = session.scalars(select(TeamsChat)).all()
        amy = session.scalar(select(Person).where(Person.email == "amy@oak.example"))
        assert amy is not None and chat.person_id == amy.id
        assert chat.chat_id == teams.graph.chat_of(AMY_ID)
    assert teams.queue().installed == 0  # reached once
    teams.card()
    teams.card()  # the same digest key: one card
    stats = teams.dispatch(teams.now)
    assert not stats.paused
    [posted] = teams.graph.chat_cards
    assert posted["user"] == AMY_ID and posted["chat"] == teams.graph.chat_of(AMY_ID)
    card = posted["activity"]["attachments"][0]["content"]
    assert card_errors(card) == []
    assert card["refresh"]["userIds"] == [AMY_ID]
    row, nudge = sorted(teams.rows("teams"), key=lambda r: r.idempotency_key)
    assert row.status == "sent" and row.provider_id == posted["id"]
    assert nudge.idempotency_key == row.idempotency_key + ":feed" and nudge.status == "sent"
    assert teams.graph.rejected == []
    # the person without the app keeps her email reminders
    ben_mail = [r for r in teams.rows("email") if "ben@oak.example" in r.recipients]
    assert ben_mail


def test_a_429_from_the_connector_is_waited_out(teams: Teams) -> None:
    teams.card()
    teams.graph.fail(
        "POST", r"/v3/conversations/.+/activities", status=429, headers={"Retry-After": "7"}
    )
    stats = teams.dispatch(teams.now)
    assert stats.paused["teams"] == teams.now + timedelta(seconds=7)
    row = next(r for r in teams.rows("teams") if "feed" not in r.payload["teams"])
    assert row.status == "pending" and row.attempts == 0 and not teams.graph.chat_cards
    early = teams.dispatch(teams.now + timedelta(seconds=3))  # still paused: nothing tried
    assert not teams.graph.chat_cards and early.paused
    teams.dispatch(teams.now + timedelta(seconds=8))
    assert len(teams.graph.chat_cards) == 1
    assert {r.status for r in teams.rows("teams")} == {"sent"}


def test_pressing_the_delivered_card_records_one_acknowledgement(
    teams: Teams, bf: FakeBotFramework, frozen_clock: Any
) -> None:
    import time

    from bot.web.app import create_app

    teams.card()
    teams.dispatch(teams.now)
    card = teams.graph.chat_cards[0]["activity"]["attachments"][0]["content"]
    [ack] = [
        a
        for c in card["body"]
        if c["type"] == "Container"
        for n in c["items"]
        if n["type"] == "ActionSet"
        for a in n["actions"]
        if a.get("verb") == ACK_VERB
    ]
    frozen_clock.at(MONDAY, 10, 5)
    env = BotEnv(teams.ctx, create_app(teams.ctx.settings, teams.ctx), bf, int(time.time()))
    answer = env.press(AMY_ID, ACK_VERB, ack["data"]).json()
    assert answer["statusCode"] == 200
    assert env.audit("policy.acknowledged")[0].details["method"] == "teams"
    assert env.press(AMY_ID, ACK_VERB, ack["data"]).json()["statusCode"] == 200
    assert len(env.audit("policy.acknowledged")) == 1
    assert BEN_ID not in teams.graph.installed


HEAD_ID = "0c2b9a1e-0000-4000-8000-00000000e0e1"
LINE_ID = "0c2b9a1e-0000-4000-8000-00000000f0f1"


def test_a_new_concern_reaches_each_dsl_by_feed_and_card_never_its_subject(teams: Teams) -> None:
    from bot.features.teamsbot.deliver import reach
    from tests.features.reports.test_support import submission

    for user_id, name, mail in (
        (HEAD_ID, "Hana Head", "head@oak.example"),
        (LINE_ID, "Lena Line", "line@oak.example"),
    ):
        teams.graph.add_user(user_id, name, mail)
    with teams.ctx.store.transaction() as session:  # Hana (DSL), Lena (deputy), Amy have the app
        for person in session.scalars(
            select(Person).where(
                Person.email.in_(["head@oak.example", "line@oak.example", "amy@oak.example"])
            )
        ):
            assert reach(session, teams.ctx.settings, teams.bot, person, teams.now)[0]
    for_everyone = submission(what_happened="Unkind messages in a group chat.")
    about_lena = submission(
        category="staff_concern",
        involved=(("staff", ""),),
        what_happened="Shouted at a pupil.",
        about_person="line@oak.example",
    )
    with teams.ctx.store.transaction() as session:
        from bot.features.reports.intake import submit_report

        school = teams.ctx.config.school("oak")
        first = submit_report(
            session,
            school,
            for_everyone,
            now=teams.now,
            base_url="https://oak.example",
            actor="test",
        )
        second = submit_report(
            session, school, about_lena, now=teams.now, base_url="https://oak.example", actor="test"
        )
    rows = teams.rows("teams")
    assert {r.urgency for r in rows} == {0}  # safeguarding: ahead of everything else
    teams.dispatch(teams.now)
    told: dict[str, list[str]] = {}
    for f in teams.graph.feed:
        told.setdefault(f["templateParameters"][0]["value"], []).append(f["user"])
        assert f["activityType"] == "newConcern"
        assert f["previewText"]["content"].startswith(
            f"New report {f['templateParameters'][0]['value']}: "
        )
    assert sorted(told[first.reference]) == sorted([HEAD_ID, LINE_ID])
    assert teams.graph.bulk_calls == [2]  # the same nudge to both: one bulk call
    assert told[second.reference] == [HEAD_ID]  # never Lena, whom it is about
    assert all(
        f["topic"]["webUrl"].startswith("https://oak.example/reports/CR-") for f in teams.graph.feed
    )
    cards = [
        (c["user"], c["activity"]["attachments"][0]["content"]) for c in teams.graph.chat_cards
    ]
    assert sorted(u for u, _ in cards) == sorted([HEAD_ID, LINE_ID, HEAD_ID])
    for _, card in cards:
        assert card_errors(card) == []
        assert card["actions"] == [
            {"type": "Action.OpenUrl", "title": "Open", "url": card["actions"][0]["url"]}
        ]
    everything = repr(teams.graph.feed) + repr(teams.graph.chat_cards)
    for secret in ("Unkind", "Shouted", "group chat", "pupil", "Pat Parent", "Lena"):
        assert secret not in everything
    assert AMY_ID not in {f["user"] for f in teams.graph.feed}
