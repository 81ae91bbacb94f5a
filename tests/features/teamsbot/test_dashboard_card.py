"""The headteacher's dashboard card in their chat with the bot refreshes on open: a signed
``Action.Execute`` refresh through ``/api/messages`` answers with the card built from the
live figures (an acknowledgement made a moment ago shows), only for a dashboard reader of the
school, audited as the web dashboard's reads are; anyone else gets a polite card with no
figures; a forged refresh gets nothing at all."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.core.models import AuditEvent, OutboxMessage, Person, TeamsChat, utcnow
from bot.features.dashboard.cards import adaptive_card
from bot.features.dashboard.digest import digest_figures
from bot.features.dashboard.figures import read_figures
from bot.features.teamsbot.cards import ACK_VERB
from bot.features.teamsbot.dashboard import DASHBOARD_VERB, queue_head_card
from tests.features.dashboard.test_cards import card_errors
from tests.features.teamsbot.support import AMY_ID, MONDAY, BotEnv
from tests.support.fakes.botframework import SERVICE_URL

HEAD_ID = "0c2b9a1e-0000-4000-8000-00000000e0e1"
STRANGER_ID = "0c2b9a1e-0000-4000-8000-0000000000ff"


def _ack_figure(card: dict[str, Any]) -> str:
    """The big 'policies acknowledged' number on the card."""
    columns = next(b for b in card["body"] if b["type"] == "ColumnSet")["columns"]
    value, label = columns[0]["items"]
    assert label["text"] == "policies acknowledged"
    return str(value["text"])


def _refresh(env: BotEnv, user_id: str, **token: Any) -> Any:
    return env.press(user_id, DASHBOARD_VERB, {"school": "oak"}, **token)


def _head_card(env: BotEnv) -> dict[str, Any]:
    """The bot reaches Hana (the head); this week's card goes to her chat."""
    with env.context.store.transaction() as session:
        hana = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        assert hana is not None
        session.add(
            TeamsChat(
                person_id=hana.id,
                school_id="oak",
                user_id=HEAD_ID,
                chat_id="19:hana@unq.gbl.spaces",
                service_url=SERVICE_URL,
            )
        )
        session.flush()
        config = env.context.config
        assert queue_head_card(
            session, env.context.settings, config, config.school("oak"), MONDAY, utcnow()
        )
        assert not queue_head_card(
            session, env.context.settings, config, config.school("oak"), MONDAY, utcnow()
        )  # once a week
        [row] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "teams_dashboard")
        ).all()
        assert row.channel == "teams" and row.recipients == ["head@oak.example"]
        return dict(row.payload["teams"]["card"])


def _live_ack(env: BotEnv) -> str:
    with env.context.store.session() as session:
        now = utcnow()
        figures = read_figures(session, "oak", MONDAY, now=now)
        return _ack_figure(adaptive_card(digest_figures(figures, "Oak", "https://x")))


def test_the_heads_card_refreshes_to_the_live_figures(env: BotEnv) -> None:
    card = _head_card(env)
    assert card_errors(card) == []
    assert card["refresh"] == {
        "action": {
            "type": "Action.Execute",
            "title": "Refresh",
            "verb": DASHBOARD_VERB,
            "data": {"school": "oak"},
        },
        "userIds": [HEAD_ID],
    }
    before = _ack_figure(card)
    opened = _refresh(env, HEAD_ID).json()
    assert opened["statusCode"] == 200
    assert opened["type"] == "application/vnd.microsoft.card.adaptive"
    assert _ack_figure(opened["value"]) == before == _live_ack(env)
    # Amy acknowledges from her own card; the head's card, opened again, shows it at once
    duty_id, sha, _ = env.duty("amy@oak.example", "acknowledge_policy")
    assert env.press(AMY_ID, ACK_VERB, {"duty": duty_id, "sha256": sha}).json()["statusCode"] == 200
    again = _refresh(env, HEAD_ID).json()["value"]
    assert card_errors(again) == []
    assert _ack_figure(again) == _live_ack(env) != before
    assert again["refresh"]["userIds"] == [HEAD_ID]
    viewed = env.audit("dashboard.viewed")
    assert [(e.actor, e.object_id, e.details) for e in viewed] == [
        ("head@oak.example", "oak", {"via": "teams"})
    ] * 2


def test_nobody_else_gets_the_figures(env: BotEnv) -> None:
    _head_card(env)
    for user_id in (AMY_ID, STRANGER_ID):  # a member of staff; someone the school has not
        answer = _refresh(env, user_id).json()
        assert answer["statusCode"] == 200
        card = answer["value"]
        assert card_errors(card) == []
        words = json.dumps(card)
        assert "only shown to the headteacher" in words
        assert "%" not in words and "refresh" not in card and "actions" not in card
    [refused] = env.audit("dashboard.refused")  # the stranger has no record to name
    assert refused.actor == "amy@oak.example"
    assert env.audit("dashboard.viewed") == []


def test_a_forged_refresh_gets_nothing(env: BotEnv) -> None:
    from joserfc.jwk import RSAKey

    _head_card(env)
    events = env.count(AuditEvent)
    stranger = RSAKey.generate_key(2048, parameters={"kid": "bf-key-1"})
    assert _refresh(env, HEAD_ID, key=stranger).status_code == 401
    assert _refresh(env, HEAD_ID, aud="someone-elses-bot").status_code == 401
    assert env.count(AuditEvent) == events


def test_with_the_bot_the_week_goes_to_the_heads_chat_not_the_channel(env: BotEnv) -> None:
    from dataclasses import replace
    from datetime import timedelta

    from bot.core.deployment.context import StepContext
    from bot.features.dashboard.digest import digest_step
    from bot.features.teamsbot.step import head_dashboard_step
    from tests.support.helpers import at

    ctx = env.context
    with ctx.store.transaction() as session:
        hana = session.scalar(select(Person).where(Person.email == "head@oak.example"))
        assert hana is not None
        session.add(
            TeamsChat(
                person_id=hana.id,
                school_id="oak",
                user_id=HEAD_ID,
                chat_id="19:hana@unq.gbl.spaces",
                service_url=SERVICE_URL,
            )
        )
        session.flush()
        before = list(session.scalars(select(OutboxMessage.id)))
        with_bot = replace(ctx.connectors, chat=object())  # only its presence is read here
        week = MONDAY + timedelta(days=7)  # Monday's sweep sent this week's already
        run = StepContext(
            session,
            ctx.settings,
            ctx.config,
            ctx.config.school("oak"),
            with_bot,
            week,
            at(week, 10),
            True,
        )
        assert digest_step(run) == {"digest_queued": 1}
        assert head_dashboard_step(run) == {"dashboard card": 1}
        channels = sorted(
            (r.channel, r.purpose)
            for r in session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.purpose.in_(["digest", "teams_dashboard"]),
                    OutboxMessage.id.not_in(before),
                )
            )
        )
    assert channels == [("email", "digest"), ("teams", "teams_dashboard")]


def _open_reports(card: dict[str, Any]) -> str:
    """The 'open reports' number on the card."""
    columns = next(b for b in card["body"] if b["type"] == "ColumnSet")["columns"]
    found = [c["items"][0]["text"] for c in columns if c["items"][1]["text"] == "open reports"]
    assert len(found) == 1, columns
    return str(found[0])


def test_a_deputys_card_counts_the_reports_the_deputy_may_read(env: BotEnv) -> None:
    """The head may not read the report about the head; their deputy DSL may: each card
    counts what its viewer may read, as the web dashboard does (head 2, deputy 3)."""
    from bot.core.models import PersonRole, Report

    deputy_id = "0c2b9a1e-0000-4000-8000-00000000d0d1"
    with env.context.store.transaction() as session:
        deputy = Person(
            school_id="oak",
            email="deputy@oak.example",
            display_name="Dan Deputy",
            external_id=deputy_id,
        )
        deputy.roles.append(PersonRole(school_id="oak", role="deputy_dsl", source="directory"))
        session.add(deputy)
        for n, about_head in enumerate((False, False, True), start=1):
            session.add(
                Report(
                    school_id="oak",
                    reference=f"CR-2026-000{n}",
                    category="other",
                    urgency="normal",
                    status="new",
                    what_happened="(fictional)",
                    about_headteacher=about_head,
                    created_at=utcnow(),
                )
            )
    head = _head_card(env)
    assert _open_reports(head) == "2"
    assert _open_reports(_refresh(env, HEAD_ID).json()["value"]) == "2"
    deputys = _refresh(env, deputy_id).json()["value"]
    assert card_errors(deputys) == []
    assert _open_reports(deputys) == "3"
    assert "(fictional)" not in json.dumps(deputys)
    assert [e.actor for e in env.audit("dashboard.viewed")] == [
        "head@oak.example",
        "deputy@oak.example",
    ]
