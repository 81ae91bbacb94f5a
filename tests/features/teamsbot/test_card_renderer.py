"""Every Adaptive Card the product sends passes Microsoft's own renderer (npm ``adaptivecards``,
run by ``tests/support/adaptive_cards.js`` under jsdom) with no parse event and no validation
failure — "Required inputs should have a label" included — in at least one realistic state
each. The cards are enumerated from the source: every function that builds one
(``new_card`` or the digest's ``adaptive_card``) must be judged here, so a new card cannot
skip the renderer."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.language.i18n import speaking
from bot.core.models import Person, utcnow
from bot.core.rendering.cards import ADAPTIVE_CARD_TYPE as ADAPTIVE
from bot.features.dashboard.cards import adaptive_card
from bot.features.reports.chat_alerts import alert_cards, concern_cards
from bot.features.teamsbot.cards import MAX_ITEMS, NeedItem, needs_card
from bot.features.teamsbot.dashboard import live_card, refused_card, viewer_of
from bot.features.teamsbot.service import card_for
from tests.features.dashboard.test_cards import figures
from tests.features.teamsbot.support import AMY_ID, MONDAY, BotEnv
from tests.support.paths import REPO

SCRIPT = REPO / "tests" / "support" / "adaptive_cards.js"
ME = "https://oak.example/me"
BUILDERS = ("new_card", "adaptive_card")  # bot.core.rendering.cards; the digest's, on top of it
JUDGED = {  # every function that builds a card, and the cases below that show it
    "bot/features/teamsbot/cards.py:_needs_card",  # needs_card's, fitted to a bot's limit
    "bot/features/reports/chat_alerts.py:alert_cards",  # a concern's and the channel's
    "bot/features/teamsbot/dashboard.py:refused_card",
    "bot/features/teamsbot/dashboard.py:live_card",
    "bot/features/dashboard/cards.py:adaptive_card",
    "bot/features/dashboard/cards.py:_adaptive_card",  # adaptive_card's, fitted to Teams' limit
    "bot/features/dashboard/digest.py:build_digest",  # adaptive_card, as judged
}


def renderer_problems(cards: list[dict[str, Any]], node_modules: Path) -> list[list[str]]:
    """What Microsoft's renderer says about each card (an empty list: nothing)."""
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(node_modules)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def _card_builders() -> set[str]:
    """``path:function`` of every function under bot/ that calls a card builder."""
    found: set[str] = set()
    for path in sorted((REPO / "bot").rglob("*.py")):
        if path == REPO / "bot" / "core" / "cards.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            calls = {
                c.func.id
                for c in ast.walk(node)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
            }
            if calls & set(BUILDERS) and node.name not in BUILDERS:
                found.add(f"{path.relative_to(REPO).as_posix()}:{node.name}")
    found.add("bot/features/dashboard/cards.py:adaptive_card")  # the builder itself
    return found


def test_every_card_builder_is_judged() -> None:
    assert _card_builders() == JUDGED


def _items() -> list[NeedItem]:
    """One of each kind: a policy to acknowledge (overdue), the AUP to sign, training."""
    url = "https://oak.example/ack/token"
    return [
        NeedItem(
            "acknowledge_policy",
            11,
            "Online Safety Policy",
            "2026.1",
            date(2026, 10, 12),
            True,
            url,
            "I have read and understood the Online Safety Policy.",
            "a" * 64,
        ),
        NeedItem(
            "sign_aup",
            12,
            "Social Media AUP",
            "2026.1",
            date(2026, 10, 26),
            False,
            "https://oak.example/aup/token",
            "I agree to follow the Social Media AUP (version 2026.1).",
            "b" * 64,
        ),
        NeedItem(
            "complete_training",
            13,
            "Annual safeguarding training",
            None,
            date(2026, 11, 2),
            False,
            "https://oak.example/me",
        ),
    ]


def _many(count: int) -> list[NeedItem]:
    """``count`` policies to acknowledge, each with a long title and statement."""
    title = "Safeguarding and Child Protection Policy, with its appendices on online safety"
    return [
        dataclasses.replace(
            _items()[0],
            duty_id=100 + n,
            title=f"{title} ({n})",
            statement=f"I have read and understood the {title} ({n}), version 2026.1. " * 4,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("language", ["en", "cy+en"])
def test_a_long_list_is_cut_to_what_teams_takes_from_a_bot(language: str) -> None:
    """Teams refuses a bot's message over 100 KB counted as UTF-16 (Learn: keep within 80 KB):
    the card shows at most MAX_ITEMS, fewer when longer, and sends the rest to the person's
    page; every item shown is whole."""
    with speaking(language):
        short = needs_card("Oak", "Amy", _many(MAX_ITEMS + 3), user_id=AMY_ID, me_url=ME)
        long = needs_card("Oak", "Amy", _many(200), user_id=AMY_ID, me_url=ME)
    for card, total in ((short, MAX_ITEMS + 3), (long, 200)):
        message = {"type": "message", "attachments": [{"contentType": ADAPTIVE, "content": card}]}
        sent = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        assert len(sent.encode("utf-16-le")) <= 80_000
        shown = sum(1 for part in card["body"] if part.get("type") == "Container")
        assert 0 < shown <= MAX_ITEMS
        texts = json.dumps(card, ensure_ascii=False)
        assert f"…and {total - shown} more on your page." in texts
        assert f'"url":"{ME}"' in texts.replace(" ", "")
    assert sum(1 for part in short["body"] if part.get("type") == "Container") == MAX_ITEMS


def test_every_card_passes_microsofts_renderer(env: BotEnv, node_modules: Path) -> None:
    cards: dict[str, dict[str, Any]] = {
        "needs: every kind of item": needs_card(
            "Oak Test School", "Amy", _items(), user_id=AMY_ID, me_url=ME
        ),
        "needs: after a press": needs_card(
            "Oak Test School",
            "Amy",
            _items()[1:],
            user_id=AMY_ID,
            me_url=ME,
            note="Thank you: your acknowledgement of the Online Safety Policy is recorded.",
        ),
        "needs: a refused press": needs_card(
            "Oak Test School",
            "Amy",
            _items()[:1],
            user_id=AMY_ID,
            me_url=ME,
            note="Tick the box to agree, then press Sign.",
        ),
        "needs: nothing waiting": needs_card("Oak Test School", "Amy", [], user_id=None, me_url=ME),
        "needs: more than a card holds": needs_card(
            "Oak Test School", "Amy", _many(60), user_id=AMY_ID, me_url=ME
        ),
        "concern alert in chat": concern_cards(
            "Oak Test School",
            "CR-2026-7KQ3M",
            "Immediate",
            "https://oak.example/reports/CR-2026-7KQ3M",
        )[0],
        "dashboard refused, school named": refused_card(env.context.config.school("oak")),
        "dashboard refused, no school": refused_card(None),
        "weekly digest": adaptive_card(figures()),
        "weekly digest, nothing to see": adaptive_card(figures(needs_attention=(), per_policy=())),
        "channel report alert": alert_cards(
            "New report CR-2026-7KQ3M",
            ["Urgency: immediate · cyberbullying. DSL team: sign in to read it."],
            "https://oak.example/reports/CR-2026-7KQ3M",
            "f3c1d2",
            open_text="Open (sign-in required)",
        )[0],
    }
    with env.context.store.transaction() as session:
        amy = session.scalar(select(Person).where(Person.external_id == AMY_ID))
        assert amy is not None
        config = env.context.config
        cards["needs: from the database"] = card_for(
            session, env.context.settings, "Oak Test School", amy, MONDAY
        )
        cards["live dashboard"] = live_card(
            session,
            env.context.settings,
            config,
            viewer_of(session, config, config.school("oak"), "head@oak.example"),
            AMY_ID,
            utcnow(),
        )
    problems = renderer_problems(list(cards.values()), node_modules)
    found = {name: said for name, said in zip(cards, problems, strict=True) if said}
    assert found == {}


def test_the_renderer_speaks_up(node_modules: Path) -> None:
    """The oracle is awake: the AUP toggle as it was (no label), an unknown element."""
    toggle = {
        "type": "Input.Toggle",
        "id": "consent-1",
        "title": "I agree",
        "isRequired": True,
        "errorMessage": "Tick the box to agree.",
    }
    unknown = {"type": "Input.Signature", "id": "name"}
    said = renderer_problems(
        [
            {"type": "AdaptiveCard", "version": "1.5", "body": [toggle]},
            {"type": "AdaptiveCard", "version": "1.5", "body": [unknown]},
        ],
        node_modules,
    )
    assert said[0] == [
        "validate: RequiredInputsShouldHaveLabel: Required inputs should have a label"
    ]
    assert said[1] and "UnknownElementType" in said[1][0]
