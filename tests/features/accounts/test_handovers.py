"""Handovers nobody records are chased (bot.features.accounts: rules, handovers): weekly to the
custodian on school days, capped, then one "please talk to them" note to the headteacher;
delivered through the real outbox to a real SMTP server."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.core.deployment.platform_settings import LocalSettings, SmtpSettings
from bot.core.models import AuditEvent, OfficialAccount, OutboxMessage
from bot.engine.sweep import run_sweep
from bot.features.accounts.rules import HANDOVER_CHASES, handover_stage
from bot.features.accounts.service import resolve_handover
from tests.conftest import free_port
from tests.support.helpers import Row, SchoolBuilder, at

LEFT = date(2026, 10, 7)  # a Wednesday; half-term 26-30 October 2026
HALF_TERM = [date(2026, 10, 26) + timedelta(days=n) for n in range(5)]


class Sink:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.original_content))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def _amy_leaves(school: SchoolBuilder) -> None:
    """Amy leaves: the directory marks her inactive."""
    school.people = [
        Row(r.email, r.name, r.roles, r.groups, r.manager, active="no")
        if r.email == "amy@oak.example"
        else r
        for r in school.people
    ]
    school.write()


def test_stages_are_weekly_then_final() -> None:
    assert handover_stage(LEFT, LEFT - timedelta(days=1)) is None
    first = handover_stage(LEFT, LEFT)
    assert first is not None and (first.number, first.final, first.label) == (1, False, "chase:1")
    week_two = handover_stage(LEFT, LEFT + timedelta(days=8))
    assert week_two is not None and (week_two.number, week_two.label) == (2, "chase:2")
    last = handover_stage(LEFT, LEFT + timedelta(days=7 * HANDOVER_CHASES))
    assert last is not None and last.final and last.label == "final"
    assert handover_stage(LEFT, LEFT + timedelta(days=400)) == last


def _text(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_a_leavers_account_is_chased_until_the_handover_is_recorded(
    school: SchoolBuilder, sqlite_url: str, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    school.people.append(Row("ola@oak.example", "Ola Office", "staff", "All Staff"))
    school.school["holidays"] = [d.isoformat() for d in HALF_TERM]
    school.school["official_accounts"] = [
        {
            "id": "facebook",
            "platform": "Facebook",
            "name": "Oak School Facebook page",
            "custodian": "line@oak.example",
            "holders": ["amy@oak.example", "ola@oak.example"],
        }
    ]
    local = LocalSettings(
        mail="smtp", smtp=SmtpSettings(host="127.0.0.1", port=port, security="none")
    )
    school.school["directory"] = {"leaver_grace_days": 0}
    ctx = school.context(sqlite_url, local=local)
    day, days = LEFT - timedelta(days=2), []
    while day <= LEFT + timedelta(days=36):
        if day == LEFT:
            _amy_leaves(school)
        before = len(sink.messages)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=day, now=at(day))
        days += [day] * (len(sink.messages) - before)
        day += timedelta(days=1)
    chases = [(to, m) for to, m in sink.messages if "handover" in m["Subject"].lower()]
    days = [
        d
        for d, (_, m) in zip(days, sink.messages, strict=True)
        if "handover" in m["Subject"].lower()
    ]
    with ctx.store.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "handover_chase")
            .order_by(OutboxMessage.id)
        ).all()
        assert {r.status for r in rows} == {"sent"}
        keys = [r.idempotency_key.rsplit(":", 1)[-1] for r in rows]
    assert len(chases) == len(rows) == HANDOVER_CHASES + 1
    assert keys == ["1", "2", "3", "4", "final"]
    first_to, first = chases[0]
    assert first_to == ["line@oak.example"]
    assert first["Subject"] == "Official account handover needed: Oak School Facebook page"
    body = _text(first)
    assert "Amy Able has left" in body and "3 more times" in body
    # flagged on 7 October; the fourth chase fell in half-term (Wed 28 Oct): once, on Monday
    assert days == [
        date(2026, 10, 7),
        date(2026, 10, 14),
        date(2026, 10, 21),
        date(2026, 11, 2),
        date(2026, 11, 4),
    ]
    final_to, final = chases[-1]
    assert sorted(final_to) == ["head@oak.example", "line@oak.example"]  # to the head, cc
    assert (
        final["Subject"] == "Chasing has stopped: Oak School Facebook page still needs a handover"
    )
    assert "please talk to them" in _text(final).lower()
    assert all(d.weekday() < 5 and d not in HALF_TERM for d in days)


def test_chasing_stops_once_the_handover_is_recorded(
    school: SchoolBuilder, database_url: str
) -> None:
    school.school["official_accounts"] = [
        {
            "id": "phone",
            "platform": "Phone",
            "name": "School mobile phone",
            "holders": ["amy@oak.example"],
        }
    ]
    school.school["directory"] = {"leaver_grace_days": 0}
    ctx = school.context(database_url)
    run_sweep(
        ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=LEFT, now=at(LEFT), deliver=False
    )
    school.people = [
        Row(r.email, r.name, r.roles, r.groups, r.manager, active="no")
        if r.email == "amy@oak.example"
        else r
        for r in school.people
    ]
    school.write()
    day = LEFT + timedelta(days=1)
    run_sweep(
        ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=day, now=at(day), deliver=False
    )
    with ctx.store.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "handover_chase")
        ).all()
        assert [r.recipients for r in rows] == [["head@oak.example"]]  # no custodian: the head
        account = session.scalar(select(OfficialAccount))
        assert account is not None and account.handover_since == day
        resolve_handover(session, account, "password changed, 2FA moved", actor="head@oak.example")
        assert account.handover_since is None
    for n in (1, 7, 8, 14, 28, 35):  # every later chasing stage's day
        later = day + timedelta(days=n)
        run_sweep(
            ctx.store,
            ctx.settings,
            ctx.config,
            ctx.connectors,
            as_of=later,
            now=at(later),
            deliver=False,
        )
    with ctx.store.session() as session:
        assert (
            len(
                session.scalars(
                    select(OutboxMessage).where(OutboxMessage.purpose == "handover_chase")
                ).all()
            )
            == 1
        )
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"account.handover.flagged", "account.handover.resolved"} <= actions


@pytest.mark.parametrize("custodian", ["head@oak.example", None])
def test_a_head_who_holds_the_chase_is_not_told_the_head_will_follow_it_up(
    school: SchoolBuilder, sqlite_url: str, smtp: tuple[Sink, int], custodian: str | None
) -> None:
    """The demo's head, custodian of the Facebook page, read "after that the headteacher is
    asked to follow it up", then would get "please talk to them" about themselves."""
    sink, port = smtp
    account = {
        "id": "fb",
        "platform": "Facebook",
        "name": "Oak page",
        "holders": ["amy@oak.example"],
    }
    school.school["official_accounts"] = [account | ({"custodian": custodian} if custodian else {})]
    school.school["directory"] = {"leaver_grace_days": 0}
    local = LocalSettings(
        mail="smtp", smtp=SmtpSettings(host="127.0.0.1", port=port, security="none")
    )
    ctx = school.context(sqlite_url, local=local)
    day = LEFT - timedelta(days=1)
    while day <= LEFT + timedelta(days=7 * HANDOVER_CHASES + 7):
        if day == LEFT:
            _amy_leaves(school)
        run_sweep(ctx.store, ctx.settings, ctx.config, ctx.connectors, as_of=day, now=at(day))
        day += timedelta(days=1)
    chases = [(to, _text(m)) for to, m in sink.messages if "handover" in m["Subject"].lower()]
    assert [to for to, _ in chases] == [["head@oak.example"]] * HANDOVER_CHASES  # no final note
    assert all("follow it up" not in body for _, body in chases)
    assert "after that the account stays marked" in chases[0][1]
    assert "This is the last reminder; the account stays marked" in chases[-1][1]
