"""A school that asks in Google Chat: the sweep finds each person's direct message with the app
(or sets it up as them) once and keeps it; their reminders go as needs cards there through the
outbox, each once; the reminder rules are the channel's concern not at all (the same people
are chased on the same days as in a school that asks by email); a new concern reaches the DSL
team's Chat without what was reported (ahead of routine cards: the benchmark)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

pytest.importorskip("googleapiclient", reason="needs google-api-python-client")

from bot.core.deployment.context import AppContext
from bot.core.models import OutboxMessage, Person, TeamsChat
from bot.core.outbox import Urgency, dispatch
from bot.core.ports import GOOGLE_CHAT_SERVICE
from bot.engine.sweep import run_sweep
from bot.features.reports.chat_alerts import queue_concern_alerts
from connectors.google.chat_app import GoogleChatApp
from connectors.google.client import GoogleClient
from tests.connectors.contract.kit_google import google_settings
from tests.features.chatbot.support import ask_online_safety
from tests.support.conformance.google_chat import chat_message_problems
from tests.support.fakes.google import FakeGoogle, ManualClock
from tests.support.helpers import Row, SchoolBuilder, at

MONDAY = date(2026, 10, 19)
AMY, BEN, HANA = "104857600000000000001", "104857600000000000002", "104857600000000000009"
DAYS = 15  # three weeks: the first reminder (Monday, by email), and the ones after it


@dataclass
class School:
    context: AppContext
    fake: FakeGoogle
    app: GoogleChatApp

    def sweep(self, day: date) -> None:
        connectors = replace(self.context.connectors, chat=self.app)
        run_sweep(
            self.context.store,
            self.context.settings,
            self.context.config,
            connectors,
            as_of=day,
            now=at(day, 10),
            deliver=False,
        )

    def dispatch(self, day: date) -> Any:
        return dispatch(
            self.context.store,
            self.context.connectors.mailer,
            None,
            chat=self.app,
            now=lambda: at(day, 12),
        )

    def rows(self, purpose: str) -> list[OutboxMessage]:
        with self.context.store.session() as session:
            rows = list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.purpose == purpose)
                    .order_by(OutboxMessage.id)
                )
            )
            session.expunge_all()
            return rows


def build(root: Path, asks_in: str) -> School:
    """Oak school on Google Workspace, asking in ``asks_in``: Amy and Ben in Chat, the head
    too; an Online Safety Policy for staff to acknowledge."""
    school = SchoolBuilder(root / "school")
    school.people = [
        Row(
            "head@oak.example",
            "Hana Head",
            "staff",
            "All Staff;Leadership",
            title="Headteacher",
            id=HANA,
        ),
        Row("amy@oak.example", "Amy Able", id=AMY),
        Row("ben@oak.example", "Ben Brook", id=BEN),
    ]
    ask_online_safety(school, asks_in)
    context = school.context(f"sqlite:///{root / 'bot.db'}", base_url="https://oak.example")
    fake = FakeGoogle()
    for user_id, address, name in (
        (AMY, "amy@oak.example", "Amy Able"),
        (BEN, "ben@oak.example", "Ben Brook"),
        (HANA, "head@oak.example", "Hana Head"),
    ):
        fake.add_user(address, name, user_id=user_id)
    fake.chat_installed_for_all = True  # Amy and the head: found; Ben's is set up below
    clock = ManualClock()
    fake.chat_clock = clock
    client = GoogleClient.from_settings(
        google_settings(root, chat_project_number="123456789012").google, http=fake
    )
    app = GoogleChatApp(client.chat(), client.chat_as, clock=clock, sleep=clock.sleep)
    return School(context, fake, app)


@pytest.fixture(scope="module")
def schools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[School, School]]:
    """The same school twice, three weeks of sweeps each: asking by email, and in Chat."""
    by_email = build(tmp_path_factory.mktemp("email"), "email")
    in_chat = build(tmp_path_factory.mktemp("chat"), "chat")
    for offset in range(DAYS):
        day = MONDAY + timedelta(days=offset)
        by_email.sweep(day)
        in_chat.sweep(day)
    yield by_email, in_chat


def test_the_same_people_are_chased_on_the_same_days_whatever_the_channel(
    schools: tuple[School, School],
) -> None:
    by_email, in_chat = schools
    emailed = [r.idempotency_key for r in by_email.rows("reminder")]
    carded = [r.idempotency_key for r in in_chat.rows("reminder")]
    assert len(emailed) > 3 and sorted(emailed) == sorted(carded)
    assert {r.channel for r in by_email.rows("reminder")} == {"email"}
    assert {r.channel for r in in_chat.rows("reminder")} == {"email", "teams"}  # Monday: email
    assert {
        (r.recipients[0], r.channel) for r in in_chat.rows("reminder") if r.channel == "teams"
    } == {("amy@oak.example", "teams"), ("ben@oak.example", "teams"), ("head@oak.example", "teams")}


def test_each_direct_message_is_found_or_set_up_once_and_kept(
    schools: tuple[School, School],
) -> None:
    _, in_chat = schools
    with in_chat.context.store.session() as session:
        chats = {c.user_id: c for c in session.scalars(select(TeamsChat))}
    assert set(chats) == {AMY, BEN, HANA}
    assert {c.service_url for c in chats.values()} == {GOOGLE_CHAT_SERVICE}
    assert {c.chat_id for c in chats.values()} == set(in_chat.fake.chat_dms.values())
    finds = in_chat.fake.calls("chat.spaces.findDirectMessage")
    assert len(finds) == 3  # once each, on the first day: kept, not looked up every week
    assert not in_chat.fake.calls("chat.spaces.setup")  # installed for all: nothing to set up


def test_each_card_reaches_its_direct_message_once(schools: tuple[School, School]) -> None:
    _, in_chat = schools
    last = MONDAY + timedelta(days=DAYS)
    in_chat.dispatch(last)
    in_chat.dispatch(last)  # again: nothing more
    cards = [r for r in in_chat.rows("reminder") if r.channel == "teams"]
    assert cards and {r.status for r in cards} == {"sent"}
    assert len(in_chat.fake.chat_messages) == len(cards)
    for message in in_chat.fake.chat_messages.values():
        assert chat_message_problems(message.body) == []
        title = message.body["cardsV2"][0]["card"]["header"]["title"]
        assert title.startswith("What ") and title.endswith(" needs from you")
        assert message.body["fallbackText"] == title
    assert not in_chat.fake.chat_throttled


def test_the_dsl_alert_reaches_chat_and_says_nothing_of_the_report(
    schools: tuple[School, School],
) -> None:
    _, in_chat = schools
    day = MONDAY + timedelta(days=DAYS)
    store = in_chat.context.store
    with store.transaction() as session:
        head = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        assert head is not None
        queue_concern_alerts(
            session,
            head.school_id,
            "Oak Primary School",
            [head.email],
            reference="CR-2026-7KQ3M",
            urgency="Immediate",
            url="https://oak.example/reports/CR-2026-7KQ3M",
            now=at(day, 11),
        )
    [alert] = in_chat.rows("report_alert")
    assert alert.urgency == Urgency.SAFEGUARDING and "feed" not in alert.payload["teams"]
    card = alert.payload["teams"]["card"]
    assert chat_message_problems(card) == []
    words = str(card)
    assert "CR-2026-7KQ3M" in words and "does not say what was reported" in words
    in_chat.dispatch(day)
    posted = [m for m in in_chat.fake.chat_messages.values() if "New report" in str(m.body)]
    assert len(posted) == 1 and posted[0].space == in_chat.fake.chat_dms[HANA]
